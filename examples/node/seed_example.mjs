// The seed's Node.js (AWS SDK v3) example (aws-dynamodb-terraform.md, "Code Examples"),
// run against dynostack.
//
// Unchanged from the seed except:
//  * the table names come from USERS_TABLE / SESSIONS_TABLE (defaults: the seed's names);
//  * the results are printed as JSON, so a test can check them;
//  * `--batch-sessions` also writes two sessions with BatchWriteCommand (which the seed
//    imports but never calls).
//
// The SDK reads the endpoint from AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_DYNAMODB) and the
// region from AWS_REGION (not AWS_DEFAULT_REGION). Install the SDK with scripts/setup-node.sh;
// see examples/README.md.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  BatchWriteCommand
} from "@aws-sdk/lib-dynamodb";

const USERS_TABLE = process.env.USERS_TABLE ?? "myapp-prod-users";
const SESSIONS_TABLE = process.env.SESSIONS_TABLE ?? "myapp-prod-sessions";

const client = new DynamoDBClient({});
const docClient = DynamoDBDocumentClient.from(client);

// Create user
async function createUser(userId, email, name) {
  const command = new PutCommand({
    TableName: USERS_TABLE,
    Item: {
      user_id: userId,
      created_at: new Date().toISOString(),
      email: email,
      name: name,
      status: "active"
    }
  });
  
  return await docClient.send(command);
}

// Query by email
async function getUserByEmail(email) {
  const command = new QueryCommand({
    TableName: USERS_TABLE,
    IndexName: "email-index",
    KeyConditionExpression: "email = :email",
    ExpressionAttributeValues: {
      ":email": email
    }
  });
  
  const response = await docClient.send(command);
  return response.Items;
}

// Usage
await createUser("456", "jane@example.com", "Jane Doe");
const users = await getUserByEmail("jane@example.com");

const result = { users };
if (process.argv.includes("--batch-sessions")) {
  const sessions = [
    { session_id: "s-3", user_id: "456", device: "laptop" },
    { session_id: "s-4", user_id: "456", device: "phone" }
  ];
  const response = await docClient.send(new BatchWriteCommand({
    RequestItems: {
      [SESSIONS_TABLE]: sessions.map((Item) => ({ PutRequest: { Item } }))
    }
  }));
  result.sessions_written = sessions.length;
  result.unprocessed = response.UnprocessedItems ?? {};
}
console.log(JSON.stringify(result));
