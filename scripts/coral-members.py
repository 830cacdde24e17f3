"""Writes crates/dynamodb/model/members.json from botocore's DynamoDB model: for each operation
its input shape, and for each input structure, list and map the members Coral (AWS's request
validation) walks, in the model's order. `coral_order.rs` turns it into the order AWS reports
constraint violations in. Run after upgrading botocore:

    .venv/bin/python scripts/coral-members.py
"""
import glob
import gzip
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
model_file = sorted(glob.glob(str(ROOT / ".venv/lib/python3*/site-packages/botocore/data/dynamodb/2012-08-10/service-2.json*")))[-1]
raw = gzip.open(model_file).read() if model_file.endswith(".gz") else open(model_file, "rb").read()
model = json.loads(raw)
shapes = model["shapes"]

ops = {name: op["input"]["shape"] for name, op in sorted(model["operations"].items()) if "input" in op}
out_shapes = {}


def visit(name):
    if name in out_shapes:
        return
    shape = shapes[name]
    kind = shape["type"]
    if kind == "structure":
        out_shapes[name] = {"members": [[m[0].lower() + m[1:], t["shape"]] for m, t in shape["members"].items()]}
        for _, t in shape["members"].items():
            visit(t["shape"])
    elif kind == "list":
        out_shapes[name] = {"list": shape["member"]["shape"]}
        visit(shape["member"]["shape"])
    elif kind == "map":
        out_shapes[name] = {"map": shape["value"]["shape"]}
        visit(shape["value"]["shape"])


for shape in ops.values():
    visit(shape)
out = ROOT / "crates/dynamodb/model/members.json"
out.write_text(json.dumps({"operations": ops, "shapes": dict(sorted(out_shapes.items()))},
                          separators=(",", ":"), sort_keys=False) + "\n")
print(f"{out}: {len(ops)} operations, {len(out_shapes)} shapes")
