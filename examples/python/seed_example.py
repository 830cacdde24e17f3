"""The seed's boto3 example (aws-dynamodb-terraform.md, "Code Examples"), run against dynostack.

Unchanged from the seed except:

* the table names come from USERS_TABLE / SESSIONS_TABLE (defaults: the seed's
  names, myapp-prod-users and myapp-prod-sessions);
* the "Usage examples" run under ``__main__`` and print their results as JSON,
  so a test can check them;
* ``--batch-sessions`` also runs the seed's ``batch_create_sessions`` helper
  (defined but never called in the seed) for two sessions of user 123.

boto3 reads the endpoint from AWS_ENDPOINT_URL itself; no endpoint is written
here. See examples/README.md for how to run it.
"""

import json
import os
import sys

import boto3
from boto3.dynamodb.conditions import Key, Attr

# Initialize DynamoDB
dynamodb = boto3.resource('dynamodb')
users_table = dynamodb.Table(os.environ.get('USERS_TABLE', 'myapp-prod-users'))
sessions_table = dynamodb.Table(os.environ.get('SESSIONS_TABLE', 'myapp-prod-sessions'))

# Create user
def create_user(user_id, email, name):
    response = users_table.put_item(
        Item={
            'user_id': user_id,
            'created_at': '2024-01-01T00:00:00Z',
            'email': email,
            'name': name,
            'status': 'active'
        }
    )
    return response

# Query by email using GSI
def get_user_by_email(email):
    response = users_table.query(
        IndexName='email-index',
        KeyConditionExpression=Key('email').eq(email)
    )
    return response['Items']

# Query users by status
def get_users_by_status(status, limit=10):
    response = users_table.query(
        IndexName='status-index',
        KeyConditionExpression=Key('status').eq(status),
        Limit=limit
    )
    return response['Items']

# Batch write example
def batch_create_sessions(sessions):
    with sessions_table.batch_writer() as batch:
        for session in sessions:
            batch.put_item(Item=session)


def main(argv):
    # Usage examples (the seed's three lines)
    create_user('123', 'user@example.com', 'John Doe')
    users = get_user_by_email('user@example.com')
    active_users = get_users_by_status('active')

    result = {'users': users, 'active_users': active_users}
    if '--batch-sessions' in argv:
        sessions = [
            {'session_id': 's-1', 'user_id': '123', 'device': 'laptop'},
            {'session_id': 's-2', 'user_id': '123', 'device': 'phone'},
        ]
        batch_create_sessions(sessions)
        result['sessions_written'] = len(sessions)

    # Numbers come back as Decimal; none are used here, but stay printable.
    print(json.dumps(result, default=str, sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1:])
