//! Operation tests through the protocol layer (`protocol::serve`) in each protocol, with request bodies serialized
//! by botocore 1.44.8 (rpcv2Cbor, awsJson 1.0, awsQuery) as fixtures.

use protocol::tree::V;
use protocol::{cbor, query, Reply as Raw, Request, Wire};

use crate::{CloudWatch, ExternalAlarm};

/// One request as the server makes it: the operation from the form (awsQuery) or `op`.
async fn call(
    cw: &CloudWatch,
    wire: Wire,
    op: Option<&str>,
    body: &[u8],
    region: &str,
    rid: &str,
) -> Raw {
    let form = query::parse_form(body);
    let name = match wire {
        Wire::AwsQuery => query::param(&form, "Action"),
        _ => op,
    };
    let req = Request {
        wire,
        name,
        body,
        method: "POST",
        path: "/",
        query: "",
        region,
        host: "localhost",
        content_type: None,
        request_id: rid,
        caller: None,
    };
    match protocol::Service::operation(cw, &req) {
        Ok(op) => protocol::serve(cw, op, &req).await,
        Err(e) => protocol::render_error(&e, &req, crate::XMLNS),
    }
}

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// botocore's rpcv2Cbor PutMetricAlarm with every field the seed uses.
const CBOR_PUT_ALARM: &str = "b069416c61726d4e616d65781d6d796170702d6465762d75736572732d726561642d7468726f74746c6572436f6d70617269736f6e4f70657261746f7274477265617465725468616e5468726573686f6c64714576616c756174696f6e506572696f6473026a4d65747269634e616d6572526561645468726f74746c654576656e7473694e616d6573706163656c4157532f44796e616d6f444266506572696f6419012c695374617469737469636353756d695468726573686f6c64fb405400000000000070416c61726d4465736372697074696f6e6e52656164207468726f74746c65736a44696d656e73696f6e7381a2644e616d65695461626c654e616d656556616c75656f6d796170702d6465762d7573657273645461677381a2634b65796b456e7669726f6e6d656e746556616c7565636465766e416374696f6e73456e61626c6564f56c416c61726d416374696f6e7381782961726e3a6177733a736e733a75732d656173742d313a3132333435363738393031323a616c657274737054726561744d697373696e67446174616c6e6f74427265616368696e677144617461706f696e7473546f416c61726d0264556e697465436f756e74";
/// botocore's rpcv2Cbor PutMetricData: one value at 2025-11-25T12:00:30Z (tag 1, integer).
const CBOR_PUT_DATA: &str = "a2694e616d657370616365654d794170706a4d65747269634461746181a56a4d65747269634e616d65674c6174656e63796a44696d656e73696f6e7381a2644e616d65624f706556616c7565634765746954696d657374616d70c11a69259a5e6556616c7565fb402900000000000064556e69746c4d696c6c697365636f6e6473";
const JSON_PUT_ALARM: &str = r#"{"AlarmName": "myapp-dev-users-read-throttle", "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 2, "MetricName": "ReadThrottleEvents", "Namespace": "AWS/DynamoDB", "Period": 300, "Statistic": "Sum", "Threshold": 80.0, "AlarmDescription": "Read throttles", "Dimensions": [{"Name": "TableName", "Value": "myapp-dev-users"}], "Tags": [{"Key": "Environment", "Value": "dev"}], "ActionsEnabled": true, "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:alerts"], "TreatMissingData": "notBreaching", "DatapointsToAlarm": 2, "Unit": "Count"}"#;
const JSON_PUT_DATA: &str = r#"{"Namespace": "MyApp", "MetricData": [{"MetricName": "Latency", "Dimensions": [{"Name": "Op", "Value": "Get"}], "Timestamp": 1764072030, "Value": 12.5, "Unit": "Milliseconds"}]}"#;
const QUERY_PUT_ALARM: &str = "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=myapp-dev-users-read-throttle&ComparisonOperator=GreaterThanThreshold&EvaluationPeriods=2&MetricName=ReadThrottleEvents&Namespace=AWS%2FDynamoDB&Period=300&Statistic=Sum&Threshold=80.0&AlarmDescription=Read+throttles&Dimensions.member.1.Name=TableName&Dimensions.member.1.Value=myapp-dev-users&Tags.member.1.Key=Environment&Tags.member.1.Value=dev&ActionsEnabled=true&AlarmActions.member.1=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts&TreatMissingData=notBreaching&DatapointsToAlarm=2&Unit=Count";
const QUERY_PUT_DATA: &str = "Action=PutMetricData&Version=2010-08-01&Namespace=MyApp&MetricData.member.1.MetricName=Latency&MetricData.member.1.Dimensions.member.1.Name=Op&MetricData.member.1.Dimensions.member.1.Value=Get&MetricData.member.1.Timestamp=2025-11-25T12%3A00%3A30Z&MetricData.member.1.Value=12.5&MetricData.member.1.Unit=Milliseconds";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}

fn service() -> CloudWatch {
    let store = store::Store::in_memory().unwrap_or_else(|e| unreachable!("{e}"));
    CloudWatch::open(store, ACCOUNT.into()).unwrap_or_else(|e| unreachable!("{e}"))
}

fn text(raw: &Raw) -> String {
    String::from_utf8(raw.body.clone()).unwrap_or_default()
}

async fn query(cw: &CloudWatch, body: &str) -> Raw {
    call(cw, Wire::AwsQuery, None, body.as_bytes(), REGION, "rid-1").await
}

async fn json(cw: &CloudWatch, op: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let raw = call(
        cw,
        Wire::AwsJson10,
        Some(op),
        body.to_string().as_bytes(),
        REGION,
        "rid-1",
    )
    .await;
    assert_eq!(raw.content_type, "application/x-amz-json-1.0");
    let v = if raw.body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&raw.body).unwrap_or(serde_json::Value::Null)
    };
    (raw.status, v)
}

async fn cbor_call(cw: &CloudWatch, op: &str, body: &V) -> (u16, V) {
    let raw = call(
        cw,
        Wire::RpcV2Cbor,
        Some(op),
        &cbor::encode(body),
        REGION,
        "rid-1",
    )
    .await;
    assert_eq!(raw.content_type, "application/cbor");
    assert!(raw
        .headers
        .contains(&("smithy-protocol", "rpc-v2-cbor".to_string())));
    let v = if raw.body.is_empty() {
        V::Null
    } else {
        cbor::decode(&raw.body).unwrap_or(V::Null)
    };
    (raw.status, v)
}

#[tokio::test]
async fn query_put_describe_delete_round_trip() {
    let cw = service();
    let raw = query(&cw, QUERY_PUT_ALARM).await;
    assert_eq!(raw.status, 200, "{}", text(&raw));
    assert_eq!(
        text(&raw),
        "<PutMetricAlarmResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\n  <ResponseMetadata>\n    <RequestId>rid-1</RequestId>\n  </ResponseMetadata>\n</PutMetricAlarmResponse>\n"
    );
    // Terraform's read: AlarmNames + AlarmTypes=MetricAlarm.
    let raw = query(&cw, "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=myapp-dev-users-read-throttle&AlarmTypes.member.1=MetricAlarm").await;
    let body = text(&raw);
    assert_eq!(raw.status, 200);
    for part in [
        "<DescribeAlarmsResult>\n    <MetricAlarms><member><AlarmName>myapp-dev-users-read-throttle</AlarmName><AlarmArn>arn:aws:cloudwatch:us-east-1:123456789012:alarm:myapp-dev-users-read-throttle</AlarmArn><AlarmDescription>Read throttles</AlarmDescription><AlarmConfigurationUpdatedTimestamp>",
        "<ActionsEnabled>true</ActionsEnabled><OKActions/><AlarmActions><member>arn:aws:sns:us-east-1:123456789012:alerts</member></AlarmActions><InsufficientDataActions/><StateValue>INSUFFICIENT_DATA</StateValue><StateReason>Unchecked: Initial alarm creation</StateReason><StateUpdatedTimestamp>",
        "<MetricName>ReadThrottleEvents</MetricName><Namespace>AWS/DynamoDB</Namespace><Statistic>Sum</Statistic><Dimensions><member><Name>TableName</Name><Value>myapp-dev-users</Value></member></Dimensions><Period>300</Period><Unit>Count</Unit><EvaluationPeriods>2</EvaluationPeriods><DatapointsToAlarm>2</DatapointsToAlarm><Threshold>80.0</Threshold><ComparisonOperator>GreaterThanThreshold</ComparisonOperator><TreatMissingData>notBreaching</TreatMissingData>",
        "</member></MetricAlarms>\n  </DescribeAlarmsResult>\n  <ResponseMetadata>\n    <RequestId>rid-1</RequestId>",
    ] {
        assert!(body.contains(part), "missing {part} in {body}");
    }
    assert!(body.contains("Z</StateUpdatedTimestamp>"));
    // Tags given at creation.
    let raw = query(&cw, "Action=ListTagsForResource&Version=2010-08-01&ResourceARN=arn%3Aaws%3Acloudwatch%3Aus-east-1%3A123456789012%3Aalarm%3Amyapp-dev-users-read-throttle").await;
    assert!(text(&raw).contains("<ListTagsForResourceResult>\n    <Tags><member><Key>Environment</Key><Value>dev</Value></member></Tags>\n  </ListTagsForResourceResult>"), "{}", text(&raw));
    let raw = query(
        &cw,
        "Action=DeleteAlarms&Version=2010-08-01&AlarmNames.member.1=myapp-dev-users-read-throttle",
    )
    .await;
    assert_eq!(raw.status, 200);
    assert!(!text(&raw).contains("Result"));
    let raw = query(&cw, "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=myapp-dev-users-read-throttle&AlarmTypes.member.1=MetricAlarm").await;
    assert!(text(&raw).contains("<MetricAlarms/>"), "{}", text(&raw));
    // Deleting what does not exist succeeds, as on AWS.
    let raw = query(
        &cw,
        "Action=DeleteAlarms&Version=2010-08-01&AlarmNames.member.1=gone",
    )
    .await;
    assert_eq!(raw.status, 200);
}

#[tokio::test]
async fn json_and_cbor_fixtures_decode_to_the_same_alarm() {
    for (protocol, body) in [
        (Wire::AwsJson10, JSON_PUT_ALARM.as_bytes().to_vec()),
        (Wire::RpcV2Cbor, unhex(CBOR_PUT_ALARM)),
        (Wire::AwsQuery, QUERY_PUT_ALARM.as_bytes().to_vec()),
    ] {
        let cw = service();
        let op = if protocol == Wire::AwsQuery {
            None
        } else {
            Some("PutMetricAlarm")
        };
        let raw = call(&cw, protocol, op, &body, REGION, "r").await;
        assert_eq!(raw.status, 200, "{protocol:?}: {}", text(&raw));
        let alarms = cw.all_alarms(REGION).unwrap_or_default();
        assert_eq!(alarms.len(), 1);
        let a = &alarms[0];
        assert_eq!(a.threshold, Some(80.0));
        assert_eq!(a.period, Some(300));
        assert_eq!(a.datapoints_to_alarm, Some(2));
        assert_eq!(a.dimensions[0].value, "myapp-dev-users");
        assert_eq!(
            a.alarm_actions,
            vec!["arn:aws:sns:us-east-1:123456789012:alerts".to_string()]
        );
        assert_eq!(a.tags[0].key, "Environment");
        assert_eq!(a.treat_missing_data.as_deref(), Some("notBreaching"));
        assert!(a.actions_enabled);
    }
}

#[tokio::test]
async fn json_shapes_and_errors() {
    let cw = service();
    let (status, _) = json(
        &cw,
        "PutMetricAlarm",
        serde_json::from_str(JSON_PUT_ALARM).unwrap_or_default(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, v) = json(
        &cw,
        "DescribeAlarms",
        serde_json::json!({"AlarmNamePrefix": "myapp-"}),
    )
    .await;
    assert_eq!(status, 200);
    let a = &v["MetricAlarms"][0];
    assert_eq!(a["Threshold"], serde_json::json!(80.0));
    assert_eq!(a["Period"], serde_json::json!(300));
    assert!(a["StateUpdatedTimestamp"].is_f64());
    assert_eq!(a["OKActions"], serde_json::json!([]));
    assert!(v.get("NextToken").is_none());
    let (status, v) = json(
        &cw,
        "SetAlarmState",
        serde_json::json!({"AlarmName": "nope", "StateValue": "OK", "StateReason": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        v,
        serde_json::json!({"__type": "com.amazonaws.cloudwatch#ResourceNotFound", "message": "Alarm nope not found"})
    );
    let (status, v) = json(&cw, "PutMetricAlarm", serde_json::json!({"AlarmName": "x", "ComparisonOperator": "Bigger", "EvaluationPeriods": 1})).await;
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "com.amazonaws.cloudwatch#ValidationException");
    assert!(v["message"]
        .as_str()
        .unwrap_or_default()
        .contains("Member must satisfy enum value set"));
    let (status, v) = json(
        &cw,
        "PutMetricAlarm",
        serde_json::json!({"ComparisonOperator": "GreaterThanThreshold"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["message"], "1 validation error detected: Value null at 'alarmName' failed to satisfy constraint: Member must not be null");
    let raw = call(
        &cw,
        Wire::AwsJson10,
        Some("PutMetricAlarm"),
        b"{not json",
        REGION,
        "r",
    )
    .await;
    assert_eq!(raw.status, 400);
    let raw = call(&cw, Wire::AwsJson10, Some("Frobnicate"), b"{}", REGION, "r").await;
    assert_eq!(raw.status, 400);
    assert!(text(&raw).contains("UnknownOperationException"));
    let raw = query(&cw, "Action=Frobnicate&Version=2010-08-01").await;
    assert!(text(&raw).contains("<Code>InvalidAction</Code>"));
}

#[tokio::test]
async fn cbor_alarm_lifecycle_state_and_actions() {
    let cw = service();
    let (status, body) = cbor_call(
        &cw,
        "PutMetricAlarm",
        &cbor::decode(&unhex(CBOR_PUT_ALARM)).unwrap_or(V::Null),
    )
    .await;
    assert_eq!((status, body), (200, V::Null));
    let name = "myapp-dev-users-read-throttle";
    let names = V::List(vec![V::Str(name.into())]);
    let (status, _) = cbor_call(
        &cw,
        "DisableAlarmActions",
        &V::map().with("AlarmNames", names.clone()),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = cbor_call(
        &cw,
        "SetAlarmState",
        &V::map()
            .with("AlarmName", V::Str(name.into()))
            .with("StateValue", V::Str("ALARM".into()))
            .with("StateReason", V::Str("testing".into()))
            .with("StateReasonData", V::Str("{\"a\":1}".into())),
    )
    .await;
    assert_eq!(status, 200);
    let (status, v) = cbor_call(
        &cw,
        "DescribeAlarms",
        &V::map().with("StateValue", V::Str("ALARM".into())),
    )
    .await;
    assert_eq!(status, 200);
    let alarms = v.list("MetricAlarms");
    assert_eq!(alarms.len(), 1);
    let a = alarms[0];
    assert_eq!(a.bool("ActionsEnabled"), Ok(Some(false)));
    assert_eq!(a.str("StateReason").as_deref(), Some("testing"));
    assert!(matches!(a.get("StateUpdatedTimestamp"), Some(V::Ts(_))));
    assert_eq!(a.get("Threshold"), Some(&V::Float(80.0)));
    let (_, v) = cbor_call(
        &cw,
        "DescribeAlarms",
        &V::map().with("StateValue", V::Str("OK".into())),
    )
    .await;
    assert!(v.list("MetricAlarms").is_empty());
    let (status, v) = cbor_call(
        &cw,
        "DescribeAlarmsForMetric",
        &V::map()
            .with("MetricName", V::Str("ReadThrottleEvents".into()))
            .with("Namespace", V::Str("AWS/DynamoDB".into()))
            .with(
                "Dimensions",
                V::List(vec![V::map()
                    .with("Name", V::Str("TableName".into()))
                    .with("Value", V::Str("myapp-dev-users".into()))]),
            ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v.list("MetricAlarms").len(), 1);
    // An update keeps state and tags, changes the configuration.
    let mut req = cbor::decode(&unhex(CBOR_PUT_ALARM)).unwrap_or(V::Null);
    if let V::Map(m) = &mut req {
        for (k, v) in m.iter_mut() {
            if k == "Threshold" {
                *v = V::Float(90.5);
            }
            if k == "Tags" {
                *v = V::List(vec![]);
            }
        }
    }
    cbor_call(&cw, "PutMetricAlarm", &req).await;
    let a = &cw.all_alarms(REGION).unwrap_or_default()[0];
    assert_eq!(
        (a.threshold, a.state_value.as_str(), a.tags.len()),
        (Some(90.5), "ALARM", 1)
    );
    // Errors carry __type and the query-compatible header.
    let raw = call(
        &cw,
        Wire::RpcV2Cbor,
        Some("GetDashboard"),
        &cbor::encode(&V::map().with("DashboardName", V::Str("none".into()))),
        REGION,
        "r",
    )
    .await;
    assert_eq!(raw.status, 404);
    assert!(raw
        .headers
        .contains(&("x-amzn-query-error", "ResourceNotFound;Sender".to_string())));
    assert_eq!(
        cbor::decode(&raw.body)
            .ok()
            .and_then(|v| v.str("__type"))
            .as_deref(),
        Some("com.amazonaws.cloudwatch#DashboardNotFoundError")
    );
}

#[tokio::test]
async fn describe_alarms_pages() {
    let cw = service();
    for i in 0..7 {
        let body = format!("Action=PutMetricAlarm&AlarmName=a{i}&ComparisonOperator=LessThanThreshold&EvaluationPeriods=1&MetricName=M&Namespace=N&Period=60&Statistic=Average&Threshold=1");
        assert_eq!(query(&cw, &body).await.status, 200);
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = serde_json::json!({"MaxRecords": 3});
        if let Some(t) = &token {
            req["NextToken"] = serde_json::json!(t);
        }
        let (status, v) = json(&cw, "DescribeAlarms", req).await;
        assert_eq!(status, 200);
        for a in v["MetricAlarms"].as_array().cloned().unwrap_or_default() {
            names.push(a["AlarmName"].as_str().unwrap_or_default().to_string());
        }
        match v["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("a{i}")).collect::<Vec<_>>());
    let (status, v) = json(
        &cw,
        "DescribeAlarms",
        serde_json::json!({"NextToken": "zz"}),
    )
    .await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("com.amazonaws.cloudwatch#InvalidNextToken"))
    );
    // AlarmTypes=CompositeAlarm only: no metric alarms.
    let raw = query(
        &cw,
        "Action=DescribeAlarms&AlarmTypes.member.1=CompositeAlarm",
    )
    .await;
    assert!(text(&raw).contains("<CompositeAlarms/>") && !text(&raw).contains("MetricAlarms"));
}

#[tokio::test]
async fn tags_on_alarms_and_dashboards() {
    let cw = service();
    query(&cw, QUERY_PUT_ALARM).await;
    let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:myapp-dev-users-read-throttle";
    let (s, _) = json(&cw, "TagResource", serde_json::json!({"ResourceARN": arn, "Tags": [{"Key": "Team", "Value": "db"}, {"Key": "Environment", "Value": "prod"}]})).await;
    assert_eq!(s, 200);
    let (_, v) = json(
        &cw,
        "ListTagsForResource",
        serde_json::json!({"ResourceARN": arn}),
    )
    .await;
    assert_eq!(
        v["Tags"],
        serde_json::json!([{"Key": "Environment", "Value": "prod"}, {"Key": "Team", "Value": "db"}])
    );
    let raw = query(
        &cw,
        &format!("Action=UntagResource&ResourceARN={arn}&TagKeys.member.1=Team"),
    )
    .await;
    assert!(
        text(&raw).contains("<UntagResourceResult/>"),
        "{}",
        text(&raw)
    );
    let (_, v) = json(
        &cw,
        "ListTagsForResource",
        serde_json::json!({"ResourceARN": arn}),
    )
    .await;
    assert_eq!(
        v["Tags"],
        serde_json::json!([{"Key": "Environment", "Value": "prod"}])
    );
    let (s, v) = json(
        &cw,
        "ListTagsForResource",
        serde_json::json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:nope"}),
    )
    .await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (
            404,
            Some("com.amazonaws.cloudwatch#ResourceNotFoundException")
        )
    );
    let (s, _) = json(&cw, "PutDashboard", serde_json::json!({"DashboardName": "d", "DashboardBody": "{\"widgets\":[]}", "Tags": [{"Key": "k", "Value": "v"}]})).await;
    assert_eq!(s, 200);
    let (_, v) = json(
        &cw,
        "ListTagsForResource",
        serde_json::json!({"ResourceARN": "arn:aws:cloudwatch::123456789012:dashboard/d"}),
    )
    .await;
    assert_eq!(v["Tags"], serde_json::json!([{"Key": "k", "Value": "v"}]));
}

#[tokio::test]
async fn dashboards() {
    let cw = service();
    let body = r#"{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/DynamoDB","ConsumedReadCapacityUnits","TableName","myapp-dev-users"]],"period":300,"stat":"Sum","region":"us-east-1","title":"Reads"}}]}"#;
    let form = format!(
        "Action=PutDashboard&Version=2010-08-01&DashboardName=myapp-dev&DashboardBody={}",
        form_urlencoded::byte_serialize(body.as_bytes()).collect::<String>()
    );
    let raw = query(&cw, &form).await;
    assert_eq!(raw.status, 200);
    assert!(
        text(&raw).contains(
            "<PutDashboardResult>\n    <DashboardValidationMessages/>\n  </PutDashboardResult>"
        ),
        "{}",
        text(&raw)
    );
    let raw = query(&cw, "Action=GetDashboard&DashboardName=myapp-dev").await;
    let t = text(&raw);
    assert!(t.contains(
        "<DashboardArn>arn:aws:cloudwatch::123456789012:dashboard/myapp-dev</DashboardArn>"
    ));
    assert!(t.contains("<DashboardBody>{&quot;widgets&quot;:[{&quot;type&quot;:&quot;metric&quot;"));
    let (_, v) = json(
        &cw,
        "ListDashboards",
        serde_json::json!({"DashboardNamePrefix": "myapp"}),
    )
    .await;
    assert_eq!(v["DashboardEntries"][0]["DashboardName"], "myapp-dev");
    assert_eq!(
        v["DashboardEntries"][0]["Size"],
        serde_json::json!(body.len())
    );
    let (s, v) = json(
        &cw,
        "PutDashboard",
        serde_json::json!({"DashboardName": "bad", "DashboardBody": "{\"widgets\": [{}]}"}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        v["__type"],
        "com.amazonaws.cloudwatch#DashboardInvalidInputError"
    );
    assert_eq!(
        v["dashboardValidationMessages"][0]["DataPath"],
        "/widgets/0"
    );
    let (s, _) = json(
        &cw,
        "PutDashboard",
        serde_json::json!({"DashboardName": "bad name", "DashboardBody": "{}"}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, v) = json(
        &cw,
        "DeleteDashboards",
        serde_json::json!({"DashboardNames": ["myapp-dev", "other"]}),
    )
    .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (404, Some("Dashboard(s) [other] do not exist"))
    );
    let (s, _) = json(
        &cw,
        "DeleteDashboards",
        serde_json::json!({"DashboardNames": ["myapp-dev"]}),
    )
    .await;
    assert_eq!(s, 200);
    let raw = query(&cw, "Action=GetDashboard&DashboardName=myapp-dev").await;
    assert_eq!(raw.status, 404);
    assert!(text(&raw).contains("<Code>ResourceNotFound</Code>"));
}

#[tokio::test]
async fn metric_data_in_each_protocol() {
    let cw = service();
    let r = call(
        &cw,
        Wire::AwsQuery,
        None,
        QUERY_PUT_DATA.as_bytes(),
        REGION,
        "r",
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let r = call(
        &cw,
        Wire::AwsJson10,
        Some("PutMetricData"),
        JSON_PUT_DATA.as_bytes(),
        REGION,
        "r",
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let r = call(
        &cw,
        Wire::RpcV2Cbor,
        Some("PutMetricData"),
        &unhex(CBOR_PUT_DATA),
        REGION,
        "r",
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    // A second minute, other value.
    let (s, _) = json(&cw, "PutMetricData", serde_json::json!({"Namespace": "MyApp", "MetricData": [{"MetricName": "Latency", "Dimensions": [{"Name": "Op", "Value": "Get"}], "Timestamp": 1764072090, "StatisticValues": {"SampleCount": 2, "Sum": 4, "Minimum": 1, "Maximum": 3}, "Unit": "Milliseconds"}]})).await;
    assert_eq!(s, 200);
    let (s, v) = json(&cw, "GetMetricStatistics", serde_json::json!({
        "Namespace": "MyApp", "MetricName": "Latency", "Dimensions": [{"Name": "Op", "Value": "Get"}],
        "StartTime": 1764072000, "EndTime": 1764072300, "Period": 60, "Statistics": ["Sum", "SampleCount", "Maximum", "Average"]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Label"], "Latency");
    assert_eq!(
        v["Datapoints"],
        serde_json::json!([
        {"Timestamp": 1764072000.0, "SampleCount": 3.0, "Average": 12.5, "Sum": 37.5, "Maximum": 12.5, "Unit": "Milliseconds"},
        {"Timestamp": 1764072060.0, "SampleCount": 2.0, "Average": 2.0, "Sum": 4.0, "Maximum": 3.0, "Unit": "Milliseconds"}])
    );
    // One 5-minute period, in XML.
    let raw = query(&cw, "Action=GetMetricStatistics&Namespace=MyApp&MetricName=Latency&Dimensions.member.1.Name=Op&Dimensions.member.1.Value=Get&StartTime=2025-11-25T12%3A00%3A00Z&EndTime=2025-11-25T12%3A05%3A00Z&Period=300&Statistics.member.1=Minimum").await;
    assert!(text(&raw).contains("<Datapoints><member><Timestamp>2025-11-25T12:00:00.000Z</Timestamp><Minimum>1.0</Minimum><Unit>Milliseconds</Unit></member></Datapoints>"), "{}", text(&raw));
    // Other dimensions are another series.
    let (_, v) = json(&cw, "GetMetricStatistics", serde_json::json!({
        "Namespace": "MyApp", "MetricName": "Latency", "StartTime": 1764072000, "EndTime": 1764072300, "Period": 60, "Statistics": ["Sum"]})).await;
    assert_eq!(v["Datapoints"], serde_json::json!([]));
    // GetMetricData, newest first, in CBOR.
    let q = V::map()
        .with("StartTime", V::Ts(1764072000.0))
        .with("EndTime", V::Ts(1764072300.0))
        .with(
            "MetricDataQueries",
            V::List(vec![V::map().with("Id", V::Str("m1".into())).with(
                "MetricStat",
                V::map()
                    .with(
                        "Metric",
                        V::map()
                            .with("Namespace", V::Str("MyApp".into()))
                            .with("MetricName", V::Str("Latency".into()))
                            .with(
                                "Dimensions",
                                V::List(vec![V::map()
                                    .with("Name", V::Str("Op".into()))
                                    .with("Value", V::Str("Get".into()))]),
                            ),
                    )
                    .with("Period", V::Int(60))
                    .with("Stat", V::Str("Sum".into())),
            )]),
        );
    let (s, v) = cbor_call(&cw, "GetMetricData", &q).await;
    assert_eq!(s, 200);
    let r = v.list("MetricDataResults");
    assert_eq!(
        r[0].get("Timestamps"),
        Some(&V::List(vec![V::Ts(1764072060.0), V::Ts(1764072000.0)]))
    );
    assert_eq!(
        r[0].get("Values"),
        Some(&V::List(vec![V::Float(4.0), V::Float(37.5)]))
    );
    assert_eq!(r[0].str("StatusCode").as_deref(), Some("Complete"));
    // ListMetrics lists what was put in the last two weeks only: these datapoints are old.
    let (s, v) = json(
        &cw,
        "ListMetrics",
        serde_json::json!({"Namespace": "MyApp"}),
    )
    .await;
    assert_eq!((s, v["Metrics"].clone()), (200, serde_json::json!([])));
    let (s, _) = json(&cw, "PutMetricData", serde_json::json!({"Namespace": "MyApp", "MetricData": [{"MetricName": "Hits", "Value": 1}]})).await;
    assert_eq!(s, 200);
    let raw = query(&cw, "Action=ListMetrics&Namespace=MyApp").await;
    assert!(text(&raw).contains("<Metrics><member><Namespace>MyApp</Namespace><MetricName>Hits</MetricName><Dimensions/></member></Metrics>"), "{}", text(&raw));
    // Validation.
    let (s, v) = json(&cw, "PutMetricData", serde_json::json!({"Namespace": "MyApp", "MetricData": [{"MetricName": "X", "Value": 1, "Values": [1]}]})).await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (
            400,
            Some("com.amazonaws.cloudwatch#InvalidParameterCombinationException")
        )
    );
    let (s, _) = json(&cw, "PutMetricData", serde_json::json!({"Namespace": "AWS/DynamoDB", "MetricData": [{"MetricName": "X", "Value": 1}]})).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn state_survives_reopening_and_external_alarms_show() {
    let store = store::Store::in_memory().unwrap_or_else(|e| unreachable!("{e}"));
    let cw =
        CloudWatch::open(store.clone(), ACCOUNT.into()).unwrap_or_else(|e| unreachable!("{e}"));
    query(&cw, QUERY_PUT_ALARM).await;
    drop(cw);
    let cw = CloudWatch::open(store, ACCOUNT.into())
        .unwrap_or_else(|e| unreachable!("{e}"))
        .with_external_alarms(|| {
            vec![ExternalAlarm {
                alarm_name: "TargetTracking-table/t-AlarmHigh-1".into(),
                alarm_arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:TargetTracking-table/t-AlarmHigh-1".into(),
                alarm_description: "DO NOT EDIT OR DELETE.".into(),
                alarm_actions: vec!["arn:policy".into()],
                namespace: "AWS/DynamoDB".into(),
                metric_name: "ConsumedReadCapacityUnits".into(),
                dimensions: vec![("TableName".into(), "t".into())],
                statistic: "Sum".into(),
                period: 60,
                evaluation_periods: 2,
                threshold: 420.0,
                comparison_operator: "GreaterThanThreshold".into(),
                treat_missing_data: "missing".into(),
                updated_ms: 0,
            }]
        });
    let (_, v) = json(&cw, "DescribeAlarms", serde_json::json!({})).await;
    let names: Vec<&str> = v["MetricAlarms"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["AlarmName"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        vec![
            "TargetTracking-table/t-AlarmHigh-1",
            "myapp-dev-users-read-throttle"
        ]
    );
    let (_, v) = json(&cw, "DescribeAlarms", serde_json::json!({})).await;
    assert_eq!(v["MetricAlarms"][0]["Threshold"], serde_json::json!(420.0));
    // Another region sees neither.
    let raw = call(
        &cw,
        Wire::AwsJson10,
        Some("DescribeAlarms"),
        b"{}",
        "eu-west-1",
        "r",
    )
    .await;
    assert_eq!(text(&raw), "{\"MetricAlarms\":[]}");
}

#[test]
fn errors_in_each_protocol() {
    use crate::error::{CwError, ErrorCode};
    let error_in = |wire: Wire, e: &CwError| {
        let req = Request {
            wire,
            name: None,
            body: b"",
            method: "POST",
            path: "/",
            query: "",
            region: REGION,
            host: "h",
            content_type: None,
            request_id: "rid",
            caller: None,
        };
        protocol::render_error(e, &req, crate::XMLNS)
    };
    let e = CwError::new(ErrorCode::ResourceNotFound, "Alarm x not found");
    let raw = error_in(Wire::AwsQuery, &e);
    assert_eq!(raw.status, 404);
    let body = String::from_utf8(raw.body).unwrap_or_default();
    assert!(body.contains("<Type>Sender</Type>\n    <Code>ResourceNotFound</Code>\n    <Message>Alarm x not found</Message>"));
    let raw = error_in(Wire::AwsJson10, &e);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&raw.body).ok(),
        Some(
            serde_json::json!({"__type": "com.amazonaws.cloudwatch#ResourceNotFound", "message": "Alarm x not found"})
        )
    );
    assert!(raw
        .headers
        .contains(&("x-amzn-query-error", "ResourceNotFound;Sender".to_string())));
    let raw = error_in(Wire::RpcV2Cbor, &e);
    assert_eq!(raw.content_type, "application/cbor");
    assert!(raw
        .headers
        .contains(&("smithy-protocol", "rpc-v2-cbor".to_string())));
    let v = cbor::decode(&raw.body).unwrap_or(V::Null);
    assert_eq!(
        v.str("__type").as_deref(),
        Some("com.amazonaws.cloudwatch#ResourceNotFound")
    );
}
