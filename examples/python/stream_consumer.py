"""A trigger for `dynostack serve --trigger TABLE=COMMAND`: the local counterpart of a Lambda
function on a DynamoDB stream.

Dynostack runs it once per batch of stream records, with the batch on standard input in
Lambda's event shape ({"Records": [...]}). It appends one line per record to the file named on
the command line. Exiting non-zero makes Dynostack retry the same batch (with backoff); exiting
0 acknowledges it, and the trigger's checkpoint moves past it.

    dynostack serve --trigger 'myapp-prod-users=python3 examples/python/stream_consumer.py /tmp/users-changes.jsonl'
"""

import json
import sys


def handler(event):
    """Lambda-style: the same function body would run on AWS Lambda."""
    lines = []
    for record in event["Records"]:
        change = record["dynamodb"]
        lines.append({
            "event": record["eventName"],
            "keys": change["Keys"],
            "new": change.get("NewImage"),
            "old": change.get("OldImage"),
            "by_ttl": record.get("userIdentity", {}).get("principalId") == "dynamodb.amazonaws.com",
        })
    return lines


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/dev/stderr"
    lines = handler(json.load(sys.stdin))
    with open(out, "a") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
