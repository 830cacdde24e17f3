// The seed's CloudWatch alarm, created, read and deleted with the AWS SDK for JavaScript v3
// (which speaks awsJson 1.0 to CloudWatch). The endpoint comes from AWS_ENDPOINT_URL.
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";

const client = new CloudWatchClient({});
const name = process.argv[2] ?? "myapp-prod-users-read-throttled-requests";

await client.send(new PutMetricAlarmCommand({
  AlarmName: name,
  ComparisonOperator: "GreaterThanThreshold",
  EvaluationPeriods: 2,
  MetricName: "ReadThrottledRequests",
  Namespace: "AWS/DynamoDB",
  Period: 300,
  Statistic: "Sum",
  Threshold: 0,
  AlarmDescription: "This metric monitors read throttled requests for users table",
  Dimensions: [{ Name: "TableName", Value: "myapp-prod-users" }],
}));
const { MetricAlarms } = await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
await client.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
const after = await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
console.log(JSON.stringify({
  alarms: MetricAlarms.map((a) => ({ name: a.AlarmName, state: a.StateValue, arn: a.AlarmArn })),
  after: after.MetricAlarms.length,
}));
