"""Exports to S3 and imports from it (ExportTableToPointInTime, ImportTable and their
Describe/List), with `--s3-dir DIR` standing in for S3: s3://BUCKET/KEY is DIR/BUCKET/KEY."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import binary_path
from dynohelpers import wait_for, wait_table_active
from test_clock import DAY, advance, clock

N_ITEMS = 10_000


@pytest.fixture
def s3(tmp_path):
    root = tmp_path / "s3"
    (root / "exports-bucket").mkdir(parents=True)
    return root


@pytest.fixture
def srv(new_server, s3):
    return new_server(args=["--s3-dir", str(s3)])


def wait(fetch, status_key, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if got[status_key] != "IN_PROGRESS":
            return got
        assert time.monotonic() < deadline, got
        time.sleep(0.2)


def item(i: int) -> dict:
    """Every attribute type."""
    return {
        "pk": {"S": f"user-{i % 97:03d}"},
        "sk": {"N": str(i)},
        "name": {"S": f"name {i} ✓"},
        "score": {"N": f"{i}.{i % 10}"},
        "blob": {"B": base64.b64encode(bytes([i % 256, 0, 255])).decode()},
        "flag": {"BOOL": i % 2 == 0},
        "nothing": {"NULL": True},
        "tags": {"SS": [f"t{i % 3}", f"u{i % 5}"]},
        "nums": {"NS": [str(i), str(i + 1)]},
        "bins": {"BS": [base64.b64encode(b"x").decode(), base64.b64encode(bytes([i % 7 + 1])).decode()]},
        "doc": {"M": {"nested": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"deep": {"BOOL": False}}}]}}},
        "list": {"L": [{"S": "x"}, {"NULL": True}]},
    }


def create(ddb, name, pitr=True):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    wait_table_active(ddb, name)
    if pitr:
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})


def scan_all(ddb, name) -> dict:
    items, start = {}, None
    while True:
        page = ddb.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
        for it in page["Items"]:
            items[(it["pk"]["S"], it["sk"]["N"])] = it
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def normalized(it: dict) -> str:
    """Sets compare as sets."""
    def norm(v):
        (t, x), = v.items()
        if t == "B":
            return {t: base64.b64encode(x).decode()}
        if t in ("SS", "NS", "BS"):
            return {t: sorted(base64.b64encode(b).decode() if t == "BS" else b for b in x)}
        if t == "M":
            return {t: {k: norm(w) for k, w in x.items()}}
        if t == "L":
            return {t: [norm(w) for w in x]}
        return v
    return json.dumps({k: norm(v) for k, v in it.items()}, sort_keys=True)


def test_an_export_reimports_to_identical_items_in_aws_layout(srv, s3):
    ddb = srv.client()
    create(ddb, "source")
    for start in range(0, N_ITEMS, 25):
        ddb.batch_write_item(RequestItems={"source": [
            {"PutRequest": {"Item": item(i)}} for i in range(start, start + 25)]})
    arn = ddb.describe_table(TableName="source")["Table"]["TableArn"]
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket",
                                                 S3Prefix="nightly/source")["ExportDescription"]
    assert started["ExportStatus"] == "IN_PROGRESS"
    assert started["ExportArn"].startswith(f"{arn}/export/")
    done = wait(lambda: ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"],
                "ExportStatus")
    assert done["ExportStatus"] == "COMPLETED", done
    assert (done["ItemCount"], done["ExportFormat"], done["ExportType"]) == (N_ITEMS, "DYNAMODB_JSON", "FULL_EXPORT")
    export_id = started["ExportArn"].rsplit("/", 1)[1]

    # AWS's layout: PREFIX/AWSDynamoDB/ID/{_started, manifest-summary.json, manifest-files.json,
    # their .md5, data/*.json.gz}, one {"Item": …} per line.
    base = s3 / "exports-bucket" / "nightly" / "source" / "AWSDynamoDB" / export_id
    assert (base / "_started").exists()
    summary = json.loads((base / "manifest-summary.json").read_text())
    assert summary["version"] == "2020-06-30" and summary["itemCount"] == N_ITEMS
    assert (summary["exportArn"], summary["tableArn"], summary["outputFormat"]) == (
        started["ExportArn"], arn, "DYNAMODB_JSON")
    assert summary["manifestFilesS3Key"] == f"nightly/source/AWSDynamoDB/{export_id}/manifest-files.json"
    assert done["ExportManifest"] == f"nightly/source/AWSDynamoDB/{export_id}/manifest-summary.json"
    files_text = (base / "manifest-files.json").read_text()
    assert (base / "manifest-files.md5").read_text() == base64.b64encode(
        hashlib.md5(files_text.encode()).digest()).decode()
    entries = [json.loads(line) for line in files_text.splitlines()]
    assert sum(e["itemCount"] for e in entries) == N_ITEMS
    lines = 0
    for e in entries:
        data = (s3 / "exports-bucket" / e["dataFileS3Key"]).read_bytes()
        assert e["md5Checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
        assert e["etag"] == hashlib.md5(data).hexdigest()
        for line in gzip.decompress(data).decode().splitlines():
            assert set(json.loads(line)) == {"Item"}
            lines += 1
    assert lines == N_ITEMS

    listed = ddb.list_exports(TableArn=arn)["ExportSummaries"]
    assert [(e["ExportArn"], e["ExportStatus"]) for e in listed] == [(started["ExportArn"], "COMPLETED")]

    imported = ddb.import_table(
        S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": f"nightly/source/AWSDynamoDB/{export_id}/data/"},
        InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": "copy",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
        })["ImportTableDescription"]
    assert imported["ImportStatus"] == "IN_PROGRESS"
    finished = wait(lambda: ddb.describe_import(ImportArn=imported["ImportArn"])["ImportTableDescription"],
                    "ImportStatus")
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert (finished["ImportedItemCount"], finished["ErrorCount"]) == (N_ITEMS, 0)
    wait_table_active(ddb, "copy")
    original, copy = scan_all(ddb, "source"), scan_all(ddb, "copy")
    assert len(copy) == N_ITEMS
    assert {k: normalized(v) for k, v in original.items()} == {k: normalized(v) for k, v in copy.items()}
    summaries = ddb.list_imports()["ImportSummaryList"]
    assert [(s["ImportArn"], s["ImportStatus"]) for s in summaries] == [(imported["ImportArn"], "COMPLETED")]


def test_imports_count_bad_lines_and_refuse_an_existing_table(srv, s3):
    ddb = srv.client()
    src = s3 / "exports-bucket" / "raw"
    src.mkdir()
    good = json.dumps({"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}})
    wrong_type = json.dumps({"Item": {"pk": {"N": "1"}, "sk": {"N": "1"}}})
    # The first bad line of a file ends that file: AWS gives up on the rest of it.
    (src / "part-1.json").write_text("\n".join([good, "", "not json", good]) + "\n")
    (src / "part-2.json").write_text("\n".join([good.replace('"a"', '"b"'), wrong_type]) + "\n")
    params = {
        "TableName": "raw-import",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    got = ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": "raw/"},
                           InputFormat="DYNAMODB_JSON", TableCreationParameters=params)["ImportTableDescription"]
    done = wait(lambda: ddb.describe_import(ImportArn=got["ImportArn"])["ImportTableDescription"], "ImportStatus")
    assert (done["ImportStatus"], done["ImportedItemCount"], done["ErrorCount"], done["ProcessedItemCount"]) == (
        "FAILED", 2, 2, 4)
    assert done["FailureCode"] == "ItemValidationError"
    # The table keeps the valid items.
    wait_table_active(ddb, "raw-import")
    assert ddb.scan(TableName="raw-import")["Count"] == 2
    with pytest.raises(ClientError) as e:
        ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": "raw/"},
                         InputFormat="DYNAMODB_JSON", TableCreationParameters=params)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"


def test_export_refusals(srv):
    ddb = srv.client()
    create(ddb, "no-pitr", pitr=False)
    arn = ddb.describe_table(TableName="no-pitr")["Table"]["TableArn"]
    with pytest.raises(ClientError) as e:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket")
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'no-pitr'")
    ddb.update_continuous_backups(TableName="no-pitr", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket")["ExportDescription"]
    failed = wait(lambda: ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"], "ExportStatus")
    assert (failed["ExportStatus"], failed["FailureCode"]) == ("FAILED", "S3NoSuchBucket")
    with pytest.raises(ClientError) as e:
        ddb.describe_export(ExportArn=arn + "/export/01234567890123-deadbeef")
    assert e.value.response["Error"]["Code"] == "ExportNotFoundException"


def exported_items(s3, ddb, arn, **kwargs) -> dict:
    """Runs an export of the table (ExportTableToPointInTime's other parameters in kwargs) and
    returns its items by key, as DynamoDB JSON, with its manifest summary."""
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket",
                                                 **kwargs)["ExportDescription"]
    done = wait(lambda: ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"],
                "ExportStatus")
    assert done["ExportStatus"] == "COMPLETED", done
    base = s3 / "exports-bucket" / done["ExportManifest"].rsplit("/", 1)[0]
    summary = json.loads((base / "manifest-summary.json").read_text())
    items = {}
    for line in (base / "manifest-files.json").read_text().splitlines():
        data = (s3 / "exports-bucket" / json.loads(line)["dataFileS3Key"]).read_bytes()
        for row in gzip.decompress(data).decode().splitlines():
            it = json.loads(row)["Item"]
            items[(it["pk"]["S"], it["sk"]["N"])] = it
    assert done["ItemCount"] == summary["itemCount"] == len(items)
    return {"items": items, "summary": summary, "description": done}


def test_an_export_at_a_past_time_has_the_items_of_that_time(new_server, s3):
    """ExportTime in the PITR window: the items as they were then, rebuilt from the snapshot
    and the log of point-in-time recovery; before the window or after now, refused."""
    srv = new_server(args=["--s3-dir", str(s3), "--test-clock"])
    ddb = srv.client()
    create(ddb, "pit", pitr=False)

    def put(i, v):
        ddb.put_item(TableName="pit", Item={"pk": {"S": f"k{i:03d}"}, "sk": {"N": str(i)}, "v": {"S": v}})

    def delete(i):
        ddb.delete_item(TableName="pit", Key={"pk": {"S": f"k{i:03d}"}, "sk": {"N": str(i)}})

    # Items 0..29 go into the first snapshot, 30..39 into the log after it.
    for i in range(30):
        put(i, "snap")
    ddb.update_continuous_backups(TableName="pit", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    wait_for(lambda: ddb.describe_continuous_backups(TableName="pit")["ContinuousBackupsDescription"]
             ["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp() > 0, what="window")
    advance(srv, 10)
    for i in range(30, 40):
        put(i, "log")
    delete(7)
    put(7, "again")        # deleted, then written again before t1
    put(8, "changed")      # a snapshot item changed twice before t1
    put(8, "changed twice")
    delete(9)              # a snapshot item deleted before t1
    advance(srv, 10)
    t1 = clock(srv)["epoch_seconds"]
    at_t1 = scan_all(ddb, "pit")
    advance(srv, 10)
    for i in range(0, 5):
        put(i, "later")    # snapshot items changed after t1
    for i in range(10, 13):
        delete(i)          # snapshot items deleted after t1
    put(30, "later")       # a logged item changed after t1
    delete(31)             # a logged item deleted after t1
    put(9, "back")         # the deleted one back after t1
    for i in range(100, 105):
        put(i, "new")      # keys that did not exist at t1, before and after the snapshot's keys
    advance(srv, 10)
    t2 = clock(srv)["epoch_seconds"]
    at_t2 = scan_all(ddb, "pit")
    assert at_t1 != at_t2
    arn = ddb.describe_table(TableName="pit")["Table"]["TableArn"]

    past = exported_items(s3, ddb, arn, ExportTime=t1)
    assert past["items"] == at_t1
    assert past["summary"]["exportTime"].startswith(
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t1))))
    assert past["description"]["ExportTime"].timestamp() == pytest.approx(t1, abs=0.001)
    assert "PointInTime" not in past["description"]
    assert exported_items(s3, ddb, arn)["items"] == at_t2
    assert exported_items(s3, ddb, arn, ExportTime=t2, ExportFormat="DYNAMODB_JSON")["items"] == at_t2

    # Days later, with newer daily snapshots, t1 still exports as it was.
    advance(srv, 2 * DAY)
    put(0, "much later")
    assert exported_items(s3, ddb, arn, ExportTime=t1)["items"] == at_t1
    assert exported_items(s3, ddb, arn, ExportTime=t2)["items"] == at_t2

    # Outside the window: before the earliest restorable time, or after now.
    earliest = ddb.describe_continuous_backups(TableName="pit")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp()
    now = clock(srv)["epoch_seconds"]
    for t in (earliest - 60, now + 3600):
        with pytest.raises(ClientError) as e:
            ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", ExportTime=t)
        err = e.value.response["Error"]
        assert (err["Code"], err["Message"]) == ("InvalidExportTimeException", "Export Time is invalid")


def offline_round_trip(srv, table: str, count: int, tmp_path, export_args=()):
    """Stops `srv`, exports `table` (`count` items) with `dynostack export`, imports the data
    files into `<table>-copy` with `dynostack import`, starts `srv` again and checks the copy
    holds the same items. Returns the export's directory."""
    original = scan_all(srv.client(), table)
    srv.stop()
    binary = str(binary_path())
    out = tmp_path / "out"
    got = subprocess.run([binary, "export", "--data-dir", str(srv.data_dir), *export_args, table, str(out)],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith(f"exported {count} items of {table} to ")
    (export_dir,) = (out / "AWSDynamoDB").iterdir()
    # The format follows the files' names (`--format` says it outright).
    got = subprocess.run([binary, "import", "--data-dir", str(srv.data_dir), str(export_dir / "data"),
                          f"{table}-copy", "--key", "pk:S", "--sort", "sk:N"],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith(f"imported {count} items into {table}-copy")
    srv.start()
    ddb = srv.client()
    wait_table_active(ddb, f"{table}-copy")
    copy = scan_all(ddb, f"{table}-copy")
    assert {k: normalized(v) for k, v in original.items()} == {k: normalized(v) for k, v in copy.items()}
    return export_dir


def test_the_cli_exports_and_imports_on_a_stopped_servers_data(new_server, tmp_path):
    """`dynostack export` and `dynostack import`: the same layout and loading, offline."""
    srv = new_server()
    ddb = srv.client()
    create(ddb, "cli-source", pitr=False)
    for start in range(0, 100, 25):
        ddb.batch_write_item(RequestItems={"cli-source": [
            {"PutRequest": {"Item": item(i)}} for i in range(start, start + 25)]})
    export_dir = offline_round_trip(srv, "cli-source", 100, tmp_path)
    summary = json.loads((export_dir / "manifest-summary.json").read_text())
    assert summary["itemCount"] == 100


# An item whose ION line is known exactly: AWS's documented forms (`6d2`, `2d3`, `5d-2` as
# ion-java writes decimals), sets with one member (their order is the item's), a field name
# that needs quotes, escapes.
EXACT_ITEM = {
    "pk": {"S": "exact"},
    "sk": {"N": "600"},
    "odd name": {"S": 'say "hi"\n'},
    "price": {"N": "0.05"},
    "big": {"N": "2000"},
    "ss": {"SS": ["only"]},
    "ns": {"NS": ["1.5"]},
    "bs": {"BS": [b"\0"]},
    "b": {"B": b"hi"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "m": {"M": {"k-1": {"L": []}}},
}
EXACT_LINE = ('$ion_1_0 {Item:{b:{{aGk=}},big:2d3,bs:$dynamodb_BS::[{{AA==}}],m:{\'k-1\':[]},'
              'ns:$dynamodb_NS::[1.5],\'odd name\':"say \\"hi\\"\\n",pk:"exact",price:5d-2,sk:6d2,'
              'ss:$dynamodb_SS::["only"],t:true,z:null}}')


def test_an_ion_export_has_aws_layout_and_reimports_to_identical_items(srv, s3):
    ddb = srv.client()
    create(ddb, "ion-source")
    n = 2000
    for start in range(0, n, 25):
        ddb.batch_write_item(RequestItems={"ion-source": [
            {"PutRequest": {"Item": item(i)}} for i in range(start, start + 25)]})
    ddb.put_item(TableName="ion-source", Item=EXACT_ITEM)
    arn = ddb.describe_table(TableName="ion-source")["Table"]["TableArn"]
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports-bucket", S3Prefix="ion",
                                                 ExportFormat="ION")["ExportDescription"]
    assert started["ExportFormat"] == "ION"
    done = wait(lambda: ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"],
                "ExportStatus")
    assert done["ExportStatus"] == "COMPLETED", done
    assert (done["ItemCount"], done["ExportFormat"]) == (n + 1, "ION")
    export_id = started["ExportArn"].rsplit("/", 1)[1]

    # The same layout as DYNAMODB_JSON's, with data/*.ion.gz: gzip'd Ion text, one
    # `$ion_1_0 {Item:{…}}` a line.
    base = s3 / "exports-bucket" / "ion" / "AWSDynamoDB" / export_id
    assert (base / "_started").exists()
    summary = json.loads((base / "manifest-summary.json").read_text())
    assert (summary["outputFormat"], summary["itemCount"], summary["exportType"]) == ("ION", n + 1, "FULL_EXPORT")
    assert summary["manifestFilesS3Key"] == f"ion/AWSDynamoDB/{export_id}/manifest-files.json"
    files_text = (base / "manifest-files.json").read_text()
    assert (base / "manifest-files.md5").read_text() == base64.b64encode(
        hashlib.md5(files_text.encode()).digest()).decode()
    entries = [json.loads(line) for line in files_text.splitlines()]
    lines = []
    for e in entries:
        assert e["dataFileS3Key"].startswith(f"ion/AWSDynamoDB/{export_id}/data/")
        assert e["dataFileS3Key"].endswith(".ion.gz")
        data = (s3 / "exports-bucket" / e["dataFileS3Key"]).read_bytes()
        assert e["md5Checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
        got = gzip.decompress(data).decode().splitlines()
        assert len(got) == e["itemCount"]
        lines += got
    assert len(lines) == n + 1
    assert all(line.startswith("$ion_1_0 {Item:{") and line.endswith("}}") for line in lines)
    assert EXACT_LINE in lines
    # Every attribute type of item(7), in Ion's types and AWS's annotations.
    line7 = next(line for line in lines if 'pk:"user-007",' in line and ",sk:7.," in line)
    # (item() gives boto3 base64 text for B, which it sends as those bytes.)
    blob = base64.b64encode(item(7)["blob"]["B"].encode()).decode()
    for part in ('blob:{{%s}}' % blob, 'doc:{nested:["a",1.,{deep:false}]}', 'flag:false', 'list:["x",null]',
                 'name:"name 7 ✓"', 'nothing:null', 'score:7.7', '$dynamodb_SS::[', '$dynamodb_NS::[',
                 '$dynamodb_BS::['):
        assert part in line7, (part, line7)

    imported = ddb.import_table(
        S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": f"ion/AWSDynamoDB/{export_id}/data/"},
        InputFormat="ION", InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": "ion-copy",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
        })["ImportTableDescription"]
    assert imported["InputFormat"] == "ION"
    finished = wait(lambda: ddb.describe_import(ImportArn=imported["ImportArn"])["ImportTableDescription"],
                    "ImportStatus")
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert (finished["ImportedItemCount"], finished["ErrorCount"]) == (n + 1, 0)
    wait_table_active(ddb, "ion-copy")
    original, copy = scan_all(ddb, "ion-source"), scan_all(ddb, "ion-copy")
    assert len(copy) == n + 1
    assert {k: normalized(v) for k, v in original.items()} == {k: normalized(v) for k, v in copy.items()}


BOOK_PARAMS = {
    "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "N"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def book_line(i: int) -> str:
    """A line of the export guide's example (docs: S3DataExport.Output, Amazon Ion)."""
    return ('$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],Dimensions:"8.5 x 11.0 x 1.5",'
            f'ISBN:"{i}-{i}",Id:{i}.,InPublication:false,PageCount:6d2,Price:2d3,'
            f'ProductCategory:"Book",Title:"Book {i} Title"}}}}')


def test_an_ion_import_reads_aws_documented_form(srv, s3):
    ddb = srv.client()
    src = s3 / "exports-bucket" / "books"
    src.mkdir()
    # One item a line, as an export writes them.
    (src / "part-1.ion").write_text("\n".join(book_line(i) for i in (103, 104, 105)) + "\n")
    # The import guide's example: a top-level list over many lines; and what else Ion allows.
    (src / "part-2.ion").write_text("""
$ion_1_0
[
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Id:106.,
      PageCount:6d2,  // a comment
      Price:2d3,
      Title:"Book 106 Title"
    }
  },
  /* another */ {Item:{Id:107, 'Odd Name':"tab\\there \\u00e9", Cover:{{aGk=}}, Tags:$dynamodb_NS::[1, 2.5d-1],
                 Covers:$dynamodb_BS::[{{aGk=}}], Nothing:null, Ratings:[5., 4d0, 1.5e1], Meta:{Ok:true}}}
]
""")
    got = ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": "books/"},
                           InputFormat="ION", InputCompressionType="NONE",
                           TableCreationParameters={"TableName": "books", **BOOK_PARAMS})["ImportTableDescription"]
    done = wait(lambda: ddb.describe_import(ImportArn=got["ImportArn"])["ImportTableDescription"], "ImportStatus")
    assert done["ImportStatus"] == "COMPLETED", done
    assert (done["ImportedItemCount"], done["ProcessedItemCount"], done["ErrorCount"]) == (5, 5, 0)
    wait_table_active(ddb, "books")
    b103 = ddb.get_item(TableName="books", Key={"Id": {"N": "103"}})["Item"]
    assert b103 == {
        "Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
        "ISBN": {"S": "103-103"}, "Id": {"N": "103"}, "InPublication": {"BOOL": False},
        "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"},
        "Title": {"S": "Book 103 Title"},
    }
    b106 = ddb.get_item(TableName="books", Key={"Id": {"N": "106"}})["Item"]
    assert (b106["PageCount"], b106["Price"], b106["Authors"]) == (
        {"N": "600"}, {"N": "2000"}, {"SS": ["Author1", "Author2"]})
    b107 = ddb.get_item(TableName="books", Key={"Id": {"N": "107"}})["Item"]
    assert normalized(b107) == normalized({
        "Id": {"N": "107"}, "Odd Name": {"S": "tab\there é"}, "Cover": {"B": b"hi"},
        "Tags": {"NS": ["1", "0.25"]}, "Covers": {"BS": [b"hi"]}, "Nothing": {"NULL": True},
        "Ratings": {"L": [{"N": "5"}, {"N": "4"}, {"N": "15"}]}, "Meta": {"M": {"Ok": {"BOOL": True}}},
    })


def test_an_ion_import_counts_bad_items_as_the_json_one_does(srv, s3):
    ddb = srv.client()
    src = s3 / "exports-bucket" / "bad-books"
    src.mkdir()
    (src / "part-1.ion").write_text("\n".join([
        book_line(1),
        # A timestamp has no DynamoDB type: the file is given up at its first bad item.
        '$ion_1_0 {Item:{Id:2.,Published:2020-01-01T}}',
        book_line(3),
    ]) + "\n")
    (src / "part-2.ion").write_text("\n".join([
        book_line(4),
        '$ion_1_0 {Item:{Id:"not a number"}}',  # the key's type is wrong
    ]) + "\n")
    (src / "part-3.ion").write_text(book_line(5) + "\n" + "$ion_1_0 {Item:{Id:6.,Title:\"unterminated}}\n")
    got = ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": "bad-books/"},
                           InputFormat="ION",
                           TableCreationParameters={"TableName": "bad-books", **BOOK_PARAMS})["ImportTableDescription"]
    done = wait(lambda: ddb.describe_import(ImportArn=got["ImportArn"])["ImportTableDescription"], "ImportStatus")
    assert (done["ImportStatus"], done["ImportedItemCount"], done["ErrorCount"], done["ProcessedItemCount"]) == (
        "FAILED", 3, 3, 6)
    assert done["FailureCode"] == "ItemValidationError"
    wait_table_active(ddb, "bad-books")
    assert sorted(int(i["Id"]["N"]) for i in ddb.scan(TableName="bad-books")["Items"]) == [1, 4, 5]


def test_the_cli_exports_and_imports_ion(new_server, tmp_path):
    srv = new_server()
    ddb = srv.client()
    create(ddb, "cli-ion", pitr=False)
    for start in range(0, 50, 25):
        ddb.batch_write_item(RequestItems={"cli-ion": [
            {"PutRequest": {"Item": item(i)}} for i in range(start, start + 25)]})
    ddb.put_item(TableName="cli-ion", Item=EXACT_ITEM)
    export_dir = offline_round_trip(srv, "cli-ion", 51, tmp_path, ["--format", "ion"])
    assert json.loads((export_dir / "manifest-summary.json").read_text())["outputFormat"] == "ION"
    data = list((export_dir / "data").iterdir())
    assert data and all(f.name.endswith(".ion.gz") for f in data)
    assert EXACT_LINE in gzip.decompress(data[0].read_bytes()).decode().splitlines()


# CSV (docs: S3DataImport.Format): the first line of a file is its header unless HeaderList
# names the columns; the key attributes of the table and of its indexes take their defined
# types, every other column is a String; RFC 4180 quoting ("" inside quotes).
CSV_PARAMS = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "N"},
                             {"AttributeName": "score", "AttributeType": "N"}],
    "GlobalSecondaryIndexes": [{"IndexName": "by-score",
                                "KeySchema": [{"AttributeName": "score", "KeyType": "HASH"}],
                                "Projection": {"ProjectionType": "ALL"}}],
    "BillingMode": "PAY_PER_REQUEST",
}


def import_and_wait(ddb, prefix, table, params=CSV_PARAMS, **kwargs):
    got = ddb.import_table(S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": prefix},
                           TableCreationParameters={"TableName": table, **params},
                           **kwargs)["ImportTableDescription"]
    return got, wait(lambda: ddb.describe_import(ImportArn=got["ImportArn"])["ImportTableDescription"],
                     "ImportStatus")


def test_a_csv_import_reads_the_header_row_and_types_only_key_attributes(srv, s3):
    ddb = srv.client()
    src = s3 / "exports-bucket" / "csv"
    src.mkdir()
    (src / "part-1.csv").write_text(
        'pk,sk,name,score,note\n'
        'a,1,"Smith, Jo",10,"say ""hi"""\n'
        'b,2,plain,,\n'
        '\n'
        'c,3.50,"two\nlines",7,007\n')
    # CRLF lines, a byte order mark, a header in another order.
    (src / "part-2.csv").write_bytes(
        '\ufeffsk,pk,flag,price\r\n10,d,true,1.50\r\n11,e,,"x"\r\n'.encode())
    got, done = import_and_wait(ddb, "csv/", "csv-import", InputFormat="CSV")
    assert got["InputFormat"] == "CSV" and "InputFormatOptions" not in got
    assert done["ImportStatus"] == "COMPLETED", done
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (5, 5, 0)
    wait_table_active(ddb, "csv-import")
    items = {(i["pk"]["S"], i["sk"]["N"]): i for i in ddb.scan(TableName="csv-import")["Items"]}
    assert items == {
        ("a", "1"): {"pk": {"S": "a"}, "sk": {"N": "1"}, "name": {"S": "Smith, Jo"}, "score": {"N": "10"},
                     "note": {"S": 'say "hi"'}},
        ("b", "2"): {"pk": {"S": "b"}, "sk": {"N": "2"}, "name": {"S": "plain"}},
        ("c", "3.5"): {"pk": {"S": "c"}, "sk": {"N": "3.5"}, "name": {"S": "two\nlines"}, "score": {"N": "7"},
                       "note": {"S": "007"}},
        ("d", "10"): {"pk": {"S": "d"}, "sk": {"N": "10"}, "flag": {"S": "true"}, "price": {"S": "1.50"}},
        ("e", "11"): {"pk": {"S": "e"}, "sk": {"N": "11"}, "price": {"S": "x"}},
    }
    # The index key column is a Number, and the index has the items that have one.
    by_score = ddb.query(TableName="csv-import", IndexName="by-score", KeyConditionExpression="score = :s",
                         ExpressionAttributeValues={":s": {"N": "7"}})["Items"]
    assert [i["pk"]["S"] for i in by_score] == ["c"]
    assert ddb.scan(TableName="csv-import", IndexName="by-score")["Count"] == 2


def test_a_csv_import_with_a_header_list_and_another_delimiter(srv, s3):
    ddb = srv.client()
    src = s3 / "exports-bucket" / "piped"
    src.mkdir()
    # With HeaderList, the first line of each file is data.
    (src / "a.csv").write_text('x|1|hello world|3\ny|2|"a|b"|\n')
    (src / "b.csv").write_text('z|-0.5e1||4\n')
    options = {"Csv": {"Delimiter": "|", "HeaderList": ["pk", "sk", "val", "score"]}}
    got, done = import_and_wait(ddb, "piped/", "piped", InputFormat="CSV", InputFormatOptions=options)
    assert got["InputFormatOptions"] == options
    assert done["ImportStatus"] == "COMPLETED", done
    assert (done["ImportedItemCount"], done["ErrorCount"]) == (3, 0)
    assert done["InputFormatOptions"] == options
    wait_table_active(ddb, "piped")
    items = sorted(ddb.scan(TableName="piped")["Items"], key=lambda i: i["pk"]["S"])
    assert items == [
        {"pk": {"S": "x"}, "sk": {"N": "1"}, "val": {"S": "hello world"}, "score": {"N": "3"}},
        {"pk": {"S": "y"}, "sk": {"N": "2"}, "val": {"S": "a|b"}},
        {"pk": {"S": "z"}, "sk": {"N": "-5"}, "score": {"N": "4"}},
    ]
    # A tab, as AWS allows it.
    tabbed = s3 / "exports-bucket" / "tabbed"
    tabbed.mkdir()
    (tabbed / "t.tsv").write_text("pk\tsk\tval\nq\t9\ta, b\n")
    _, done = import_and_wait(ddb, "tabbed/", "tabbed", InputFormat="CSV",
                              InputFormatOptions={"Csv": {"Delimiter": "\t"}})
    assert (done["ImportStatus"], done["ImportedItemCount"]) == ("COMPLETED", 1), done
    wait_table_active(ddb, "tabbed")
    assert ddb.scan(TableName="tabbed")["Items"] == [{"pk": {"S": "q"}, "sk": {"N": "9"}, "val": {"S": "a, b"}}]


def test_a_csv_import_counts_bad_lines(srv, s3):
    ddb = srv.client()
    src = s3 / "exports-bucket" / "bad-csv"
    src.mkdir()
    # The first bad line of a file ends it, as in the other formats.
    (src / "1.csv").write_text("pk,sk,v\ngood1,1,x\nbad,not-a-number,x\nlost,2,x\n")
    (src / "2.csv").write_text("pk,sk,v\ngood2,1,x\nbad,2\n")           # too few fields
    (src / "3.csv").write_text("pk,sk,v\n,3,x\n")                       # no partition key
    (src / "4.csv").write_text('pk,sk,v\ngood3,4,x\nbad,5,"a"b\n')      # a stray quote
    (src / "5.csv").write_text("pk,sk,v\ngood4,5,x\nbad,6,x,extra\n")   # too many fields
    (src / "6.csv").write_text('pk,sk,v\nbad,7,"never closed\n')
    (src / "7.csv").write_text("pk,,v\ngood?,8,x\n")                    # an empty column name
    _, done = import_and_wait(ddb, "bad-csv/", "bad-csv", params=BOOK_PARAMS | {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}]}, InputFormat="CSV")
    assert (done["ImportStatus"], done["FailureCode"]) == ("FAILED", "ItemValidationError"), done
    assert (done["ImportedItemCount"], done["ErrorCount"], done["ProcessedItemCount"]) == (4, 7, 11)
    wait_table_active(ddb, "bad-csv")
    assert sorted(i["pk"]["S"] for i in ddb.scan(TableName="bad-csv")["Items"]) == [
        "good1", "good2", "good3", "good4"]


def test_a_zstd_import(srv, s3):
    zstandard = pytest.importorskip("zstandard")
    ddb = srv.client()
    src = s3 / "exports-bucket" / "zst"
    src.mkdir()
    lines = [json.dumps({"Item": item(i)}) for i in range(300)]
    cctx = zstandard.ZstdCompressor(level=3, write_checksum=True)
    (src / "part-1.json.zst").write_bytes(cctx.compress(("\n".join(lines[:100]) + "\n").encode()))
    # Two frames one after another (as `cat a.zst b.zst` makes), the second without a checksum.
    (src / "part-2.json.zst").write_bytes(
        cctx.compress(("\n".join(lines[100:200]) + "\n").encode())
        + zstandard.ZstdCompressor(level=19).compress(("\n".join(lines[200:]) + "\n").encode()))
    got, done = import_and_wait(ddb, "zst/", "zst-copy", params={
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST"}, InputFormat="DYNAMODB_JSON", InputCompressionType="ZSTD")
    assert got["InputCompressionType"] == "ZSTD"
    assert done["ImportStatus"] == "COMPLETED", done
    assert (done["ImportedItemCount"], done["ErrorCount"]) == (300, 0)
    wait_table_active(ddb, "zst-copy")
    copy = scan_all(ddb, "zst-copy")
    assert len(copy) == 300
    assert normalized(copy[("user-007", "7")]) == normalized(
        {k: ({"B": base64.b64decode(v["B"])} if "B" in v else
             {"BS": [base64.b64decode(b) for b in v["BS"]]} if "BS" in v else v)
         for k, v in item(7).items()})

    # CSV can be zstd'd too; a file that is not zstd (or is corrupt) is one error.
    csv_dir = s3 / "exports-bucket" / "zst-csv"
    csv_dir.mkdir()
    (csv_dir / "a.csv.zst").write_bytes(cctx.compress(b"pk,sk,v\nk,1,one\nk,2,two\n"))
    (csv_dir / "b.csv.zst").write_bytes(b"pk,sk,v\nplain,1,x\n")
    _, done = import_and_wait(ddb, "zst-csv/", "zst-csv", params={
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST"}, InputFormat="CSV", InputCompressionType="ZSTD")
    assert (done["ImportStatus"], done["ImportedItemCount"], done["ErrorCount"]) == ("FAILED", 2, 1), done
    wait_table_active(ddb, "zst-csv")
    assert sorted(i["v"]["S"] for i in ddb.scan(TableName="zst-csv")["Items"]) == ["one", "two"]


def test_import_format_options_are_validated(srv, s3):
    ddb = srv.client()
    raw = srv.client(parameter_validation=False)
    (s3 / "exports-bucket" / "v").mkdir()

    def refused(client, **kwargs):
        with pytest.raises(ClientError) as e:
            client.import_table(S3BucketSource={"S3Bucket": "exports-bucket", "S3KeyPrefix": "v/"},
                                TableCreationParameters={"TableName": "never", **BOOK_PARAMS}, **kwargs)
        err = e.value.response["Error"]
        assert err["Code"] == "ValidationException", err
        return err["Message"]

    # AWS's answers, as observed.
    assert refused(ddb, InputFormat="CSV", InputFormatOptions={"Csv": {"Delimiter": ";;"}}) == (
        "2 validation errors detected: Value ';;' at 'inputFormatOptions.csv.delimiter' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [,;:|\\t ]; Value ';;' at "
        "'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member must have length less than "
        "or equal to 1")
    assert refused(ddb, InputFormat="DYNAMODB_JSON", InputFormatOptions={"Csv": {"Delimiter": ","}}) == (
        "Invalid Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON.")
    assert refused(ddb, InputFormat="ION", InputFormatOptions={"Csv": {"HeaderList": ["a"]}}).endswith(
        "for the given input format: ION.")
    # The model's constraints (the wording of a list member's is Coral's usual one).
    assert refused(ddb, InputFormat="CSV", InputFormatOptions={"Csv": {"Delimiter": "#"}}) == (
        "1 validation error detected: Value '#' at 'inputFormatOptions.csv.delimiter' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [,;:|\\t ]")
    assert refused(raw, InputFormat="CSV", InputFormatOptions={"Csv": {"HeaderList": []}}) == (
        "1 validation error detected: Value '[]' at 'inputFormatOptions.csv.headerList' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1")
    assert "Member must have length less than or equal to 255" in refused(
        ddb, InputFormat="CSV", InputFormatOptions={"Csv": {"HeaderList": [f"c{i}" for i in range(256)]}})
    assert refused(ddb, InputFormat="CSV", InputFormatOptions={"Csv": {"HeaderList": ["Id", 'say "x"']}}) == (
        "1 validation error detected: Value '[Id, say \"x\"]' at 'inputFormatOptions.csv.headerList' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern: "
        "[\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]*]")
    assert "Member must satisfy regular expression pattern" in refused(
        ddb, InputFormat="CSV", InputFormatOptions={"Csv": {"HeaderList": ["a,b"]}})
    assert "Member must satisfy enum value set" in refused(ddb, InputFormat="CSV", InputCompressionType="BZIP2")
    # Nothing was created.
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="never")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
