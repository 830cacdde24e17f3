//! The service driven through `AutoScaling::call` as clients drive it, over an in-memory store
//! shared with a DynamoDB service that owns the tables.

use std::error::Error;

use dynamodb::{CallCtx, Dynamo, Env};
use serde_json::{json, Value as Json};
use store::Store;

use crate::{AlarmKind, AutoScaling, AutoScalingError, ErrorCode};

type R = Result<(), Box<dyn Error>>;

const ACCOUNT: &str = "123456789012";
const READ: &str = "dynamodb:table:ReadCapacityUnits";
const WRITE: &str = "dynamodb:table:WriteCapacityUnits";
const SLR: &str = "arn:aws:iam::123456789012:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable";

struct Env2 {
    store: Store,
    dynamo: Dynamo,
    aas: AutoScaling,
}

async fn ddb(dynamo: &Dynamo, op: &str, body: Json) -> Result<Json, Box<dyn Error>> {
    let op = dynamodb::Operation::from_name(op).ok_or("no such DynamoDB operation")?;
    let ctx = CallCtx {
        region: "us-east-1".into(),
        host: "localhost".into(),
    };
    dynamo
        .call(op, body.to_string().as_bytes(), &ctx)
        .await
        .map_err(|e| e.to_string().into())
}

/// Tables: `tbl` (PROVISIONED 5/5, GSI `gsi` 3/4) and `ondemand` (PAY_PER_REQUEST).
async fn setup() -> Result<Env2, Box<dyn Error>> {
    let store = Store::in_memory()?;
    let dynamo = Dynamo::open(
        store.clone(),
        Env {
            account_id: ACCOUNT.into(),
        },
    )?;
    ddb(
        &dynamo,
        "CreateTable",
        json!({
            "TableName": "tbl",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "gk", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            "GlobalSecondaryIndexes": [{
                "IndexName": "gsi",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}
            }]
        }),
    )
    .await?;
    ddb(
        &dynamo,
        "CreateTable",
        json!({
            "TableName": "ondemand",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .await?;
    let aas =
        AutoScaling::open(store.clone(), ACCOUNT.into())?.with_catalog(dynamo.catalog().clone());
    Ok(Env2 { store, dynamo, aas })
}

async fn call(aas: &AutoScaling, op: &str, body: Json) -> Result<Json, AutoScalingError> {
    aas.call(op, body.to_string().as_bytes(), "us-east-1").await
}

async fn register(
    aas: &AutoScaling,
    id: &str,
    dim: &str,
    min: i32,
    max: i32,
) -> Result<Json, AutoScalingError> {
    call(
        aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": id, "ScalableDimension": dim,
               "MinCapacity": min, "MaxCapacity": max}),
    )
    .await
}

fn policy_body(name: &str, id: &str, dim: &str, metric: &str, target: f64) -> Json {
    json!({
        "PolicyName": name, "ServiceNamespace": "dynamodb", "ResourceId": id,
        "ScalableDimension": dim, "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            "ScaleInCooldown": 60, "ScaleOutCooldown": 0, "DisableScaleIn": false
        }
    })
}

async fn describe_targets(aas: &AutoScaling, body: Json) -> Result<Vec<Json>, AutoScalingError> {
    let out = call(aas, "DescribeScalableTargets", body).await?;
    Ok(out["ScalableTargets"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

fn err<T: std::fmt::Debug>(
    r: Result<T, AutoScalingError>,
) -> Result<AutoScalingError, Box<dyn Error>> {
    match r {
        Ok(v) => Err(format!("expected an error, got {v:?}").into()),
        Err(e) => Ok(e),
    }
}

#[tokio::test]
async fn unknown_operations_and_bad_bodies() -> R {
    let env = setup().await?;
    let e = err(env
        .aas
        .call("GetPredictiveScalingForecast", b"{}", "us-east-1")
        .await)?;
    assert_eq!(e.aws_code(), "UnknownOperationException");
    assert_eq!(e.to_json(), json!({"__type": "UnknownOperationException"}));
    assert_eq!(e.http_status(), 400);
    let e = err(env
        .aas
        .call("DescribeScalableTargets", b"{nope", "us-east-1")
        .await)?;
    assert_eq!(e.aws_code(), "SerializationException");
    let e = err(env
        .aas
        .call(
            "RegisterScalableTarget",
            br#"{"MinCapacity": "one"}"#,
            "us-east-1",
        )
        .await)?;
    assert_eq!(e.aws_code(), "SerializationException");
    Ok(())
}

#[tokio::test]
async fn register_and_describe_a_target() -> R {
    let env = setup().await?;
    let out = call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ,
               "MinCapacity": 5, "MaxCapacity": 100, "Tags": {"env": "dev"}}),
    )
    .await?;
    let arn = out["ScalableTargetARN"]
        .as_str()
        .ok_or("no ARN")?
        .to_string();
    let prefix = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/";
    assert!(arn.starts_with(prefix), "{arn}");
    let id = &arn[prefix.len()..];
    assert_eq!(id.len(), 36);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(out.as_object().map(|o| o.len()), Some(1));

    // What Terraform reads back: the three-part key.
    let targets = describe_targets(
        &env.aas,
        json!({"ServiceNamespace": "dynamodb", "ResourceIds": ["table/tbl"], "ScalableDimension": READ}),
    )
    .await?;
    assert_eq!(targets.len(), 1);
    let t = &targets[0];
    assert_eq!(t["ServiceNamespace"], "dynamodb");
    assert_eq!(t["ResourceId"], "table/tbl");
    assert_eq!(t["ScalableDimension"], READ);
    assert_eq!(t["MinCapacity"], 5);
    assert_eq!(t["MaxCapacity"], 100);
    assert_eq!(t["RoleARN"], SLR);
    assert_eq!(t["ScalableTargetARN"], arn.as_str());
    assert!(t["CreationTime"].as_f64().is_some_and(|c| c > 1.6e9));
    assert_eq!(
        t["SuspendedState"],
        json!({"DynamicScalingInSuspended": false, "DynamicScalingOutSuspended": false,
               "ScheduledScalingSuspended": false})
    );
    assert!(t.get("Tags").is_none());
    let tags = call(&env.aas, "ListTagsForResource", json!({"ResourceARN": arn})).await?;
    assert_eq!(tags, json!({"Tags": {"env": "dev"}}));
    Ok(())
}

#[tokio::test]
async fn re_registering_updates_what_is_given() -> R {
    let env = setup().await?;
    let first = register(&env.aas, "table/tbl", READ, 5, 100).await?;
    let before = describe_targets(&env.aas, json!({"ServiceNamespace": "dynamodb"})).await?;
    let again = call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ,
               "MaxCapacity": 50, "RoleARN": "arn:aws:iam::123456789012:role/custom",
               "SuspendedState": {"DynamicScalingInSuspended": true}}),
    )
    .await?;
    assert_eq!(again, first, "the target keeps its ARN");
    let after = describe_targets(&env.aas, json!({"ServiceNamespace": "dynamodb"})).await?;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["MinCapacity"], 5);
    assert_eq!(after[0]["MaxCapacity"], 50);
    // DynamoDB uses its service-linked role whatever RoleARN says.
    assert_eq!(after[0]["RoleARN"], SLR);
    assert_eq!(after[0]["CreationTime"], before[0]["CreationTime"]);
    assert_eq!(
        after[0]["SuspendedState"]["DynamicScalingInSuspended"],
        true
    );
    assert_eq!(
        after[0]["SuspendedState"]["DynamicScalingOutSuspended"],
        false
    );
    call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ,
               "SuspendedState": {"ScheduledScalingSuspended": true}}),
    )
    .await?;
    let after = describe_targets(&env.aas, json!({"ServiceNamespace": "dynamodb"})).await?;
    assert_eq!(
        after[0]["SuspendedState"]["DynamicScalingInSuspended"],
        true
    );
    assert_eq!(
        after[0]["SuspendedState"]["ScheduledScalingSuspended"],
        true
    );

    // Tags go through TagResource once the target exists.
    let e = err(call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ,
                   "Tags": {"a": "b"}}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    assert_eq!(e.message(), "The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.");
    // Lowering the maximum under the minimum is refused, and nothing changes.
    let e = err(call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ,
                   "MaxCapacity": 2}),
    )
    .await)?;
    assert_eq!(
        e.message(),
        "Minimum capacity cannot be greater than maximum capacity"
    );
    let after = describe_targets(&env.aas, json!({"ServiceNamespace": "dynamodb"})).await?;
    assert_eq!(after[0]["MaxCapacity"], 50);
    Ok(())
}

#[tokio::test]
async fn register_validation() -> R {
    let env = setup().await?;
    let e = err(call(&env.aas, "RegisterScalableTarget", json!({})).await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    assert_eq!(
        e.message(),
        "3 validation errors detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null; Value null at 'resourceId' failed to satisfy constraint: Member must not be null; Value null at 'scalableDimension' failed to satisfy constraint: Member must not be null"
    );
    let e = err(call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamo", "ResourceId": "table/tbl", "ScalableDimension": READ}),
    )
    .await)?;
    assert!(e.message().starts_with(
        "1 validation error detected: Value 'dynamo' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: [ecs, elasticmapreduce, ec2, appstream, dynamodb,"
    ), "{}", e.message());
    let unsupported = "Unsupported service namespace, resource type or scalable dimension";
    for (ns, id, dim) in [
        ("dynamodb", "dynamo/t", READ),
        ("dynamodb", "table/tbl", "dynamodb:index:ReadCapacityUnits"),
        ("ecs", "service/c/s", "ecs:service:DesiredCount"),
    ] {
        let e = err(call(
            &env.aas,
            "RegisterScalableTarget",
            json!({"ServiceNamespace": ns, "ResourceId": id, "ScalableDimension": dim,
                       "MinCapacity": 1, "MaxCapacity": 2}),
        )
        .await)?;
        assert_eq!(
            (e.aws_code(), e.message()),
            ("ValidationException", unsupported)
        );
    }
    let e = err(register(&env.aas, "table/nope", READ, 1, 2).await)?;
    assert_eq!(e.message(), "DynamoDB table does not exist: table/nope");
    let e = err(register(
        &env.aas,
        "table/tbl/index/nope",
        "dynamodb:index:ReadCapacityUnits",
        1,
        2,
    )
    .await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    let e = err(register(&env.aas, "table/tbl", READ, 10, 5).await)?;
    assert_eq!(
        e.message(),
        "Minimum capacity cannot be greater than maximum capacity"
    );
    let e = err(call(
        &env.aas,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ,
                   "MinCapacity": 1}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    assert!(
        describe_targets(&env.aas, json!({"ServiceNamespace": "dynamodb"}))
            .await?
            .is_empty()
    );
    // Indexes scale too.
    register(
        &env.aas,
        "table/tbl/index/gsi",
        "dynamodb:index:WriteCapacityUnits",
        1,
        10,
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn describe_filters_and_pages() -> R {
    let env = setup().await?;
    register(&env.aas, "table/tbl", READ, 1, 10).await?;
    register(&env.aas, "table/tbl", WRITE, 1, 10).await?;
    register(&env.aas, "table/ondemand", READ, 1, 10).await?;
    register(
        &env.aas,
        "table/tbl/index/gsi",
        "dynamodb:index:ReadCapacityUnits",
        1,
        10,
    )
    .await?;
    let all = describe_targets(&env.aas, json!({"ServiceNamespace": "dynamodb"})).await?;
    assert_eq!(all.len(), 4);
    let only_t = describe_targets(
        &env.aas,
        json!({"ServiceNamespace": "dynamodb", "ResourceIds": ["table/tbl"]}),
    )
    .await?;
    assert_eq!(only_t.len(), 2);
    let reads = describe_targets(
        &env.aas,
        json!({"ServiceNamespace": "dynamodb", "ScalableDimension": READ}),
    )
    .await?;
    assert_eq!(reads.len(), 2);
    assert!(
        describe_targets(&env.aas, json!({"ServiceNamespace": "ecs"}))
            .await?
            .is_empty()
    );

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"ServiceNamespace": "dynamodb", "MaxResults": 3});
        if let Some(t) = &token {
            body["NextToken"] = t.clone().into();
        }
        let out = call(&env.aas, "DescribeScalableTargets", body).await?;
        for t in out["ScalableTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            seen.push(format!("{} {}", t["ResourceId"], t["ScalableDimension"]));
        }
        match out.get("NextToken").and_then(|t| t.as_str()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup, seen);

    let e = err(call(
        &env.aas,
        "DescribeScalableTargets",
        json!({"ServiceNamespace": "dynamodb", "NextToken": "garbage"}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "InvalidNextTokenException");
    let e = err(call(
        &env.aas,
        "DescribeScalableTargets",
        json!({"ServiceNamespace": "dynamodb", "MaxResults": 51}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    let e = err(call(&env.aas, "DescribeScalableTargets", json!({})).await)?;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null"
    );
    Ok(())
}

#[tokio::test]
async fn target_tracking_policy_with_its_alarms() -> R {
    let env = setup().await?;
    register(&env.aas, "table/tbl", READ, 5, 100).await?;
    let out = call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "reads",
            "table/tbl",
            READ,
            "DynamoDBReadCapacityUtilization",
            70.0,
        ),
    )
    .await?;
    let arn = out["PolicyARN"].as_str().ok_or("no PolicyARN")?.to_string();
    let prefix = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:";
    let suffix = ":resource/dynamodb/table/tbl:policyName/reads";
    assert!(arn.starts_with(prefix) && arn.ends_with(suffix), "{arn}");
    assert_eq!(arn.len(), prefix.len() + 36 + suffix.len());
    let alarms = out["Alarms"].as_array().cloned().unwrap_or_default();
    let kinds = [
        "AlarmHigh",
        "AlarmLow",
        "ProvisionedCapacityHigh",
        "ProvisionedCapacityLow",
    ];
    assert_eq!(alarms.len(), 4);
    for (a, kind) in alarms.iter().zip(kinds) {
        let name = a["AlarmName"].as_str().ok_or("no AlarmName")?;
        let head = format!("TargetTracking-table/tbl-{kind}-");
        assert!(
            name.starts_with(&head) && name.len() == head.len() + 36,
            "{name}"
        );
        assert_eq!(
            a["AlarmARN"],
            format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}")
        );
    }

    // What Terraform reads back.
    let described = call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"PolicyNames": ["reads"], "ServiceNamespace": "dynamodb", "ResourceId": "table/tbl",
               "ScalableDimension": READ}),
    )
    .await?;
    let policies = described["ScalingPolicies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(policies.len(), 1);
    let p = &policies[0];
    assert_eq!(p["PolicyARN"], arn.as_str());
    assert_eq!(p["PolicyName"], "reads");
    assert_eq!(p["PolicyType"], "TargetTrackingScaling");
    assert_eq!(p["ResourceId"], "table/tbl");
    assert_eq!(p["Alarms"], out["Alarms"]);
    assert_eq!(
        p["TargetTrackingScalingPolicyConfiguration"],
        json!({"TargetValue": 70.0,
               "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
               "ScaleInCooldown": 60, "ScaleOutCooldown": 0, "DisableScaleIn": false})
    );
    assert!(p["CreationTime"].is_f64());
    assert!(described.get("NextToken").is_none());

    // The stored alarm definitions follow the table's 5 RCU: 70 % of 5 units for a minute.
    let defs = env.aas.alarms()?;
    assert_eq!(defs.len(), 4);
    let high = defs
        .iter()
        .find(|d| d.kind == AlarmKind::AlarmHigh)
        .ok_or("no AlarmHigh")?;
    assert_eq!(high.metric_name, "ConsumedReadCapacityUnits");
    assert!((high.threshold - 210.0).abs() < 1e-9);
    assert_eq!(high.comparison_operator, "GreaterThanThreshold");
    assert_eq!(high.alarm_actions.len(), 1);
    assert!(high.alarm_actions[0].starts_with(&format!("{arn}:createdBy/")));
    let low = defs
        .iter()
        .find(|d| d.kind == AlarmKind::AlarmLow)
        .ok_or("no AlarmLow")?;
    assert!((low.threshold - 150.0).abs() < 1e-9);
    assert_eq!(low.evaluation_periods, 15);

    // Updating keeps the ARN and the alarms' names; thresholds follow the new target.
    let again = call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "reads",
            "table/tbl",
            READ,
            "DynamoDBReadCapacityUtilization",
            50.0,
        ),
    )
    .await?;
    assert_eq!(again, out);
    let high = env
        .aas
        .alarms()?
        .into_iter()
        .find(|d| d.kind == AlarmKind::AlarmHigh)
        .ok_or("no AlarmHigh")?;
    assert!((high.threshold - 150.0).abs() < 1e-9);

    // A second policy on the same metric is refused; on another metric it is fine.
    let e = err(call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "reads2",
            "table/tbl",
            READ,
            "DynamoDBReadCapacityUtilization",
            60.0,
        ),
    )
    .await)?;
    assert_eq!(
        e.message(),
        "Only one TargetTrackingScaling policy for a given metric specification is allowed."
    );
    call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "writes-on-read",
            "table/tbl",
            READ,
            "DynamoDBWriteCapacityUtilization",
            60.0,
        ),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn policy_errors() -> R {
    let env = setup().await?;
    let e = err(call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "p",
            "table/tbl",
            READ,
            "DynamoDBReadCapacityUtilization",
            70.0,
        ),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ObjectNotFoundException");
    assert_eq!(
        e.message(),
        "No scalable target registered for service namespace: dynamodb, resource ID: table/tbl, scalable dimension: dynamodb:table:ReadCapacityUnits"
    );
    register(&env.aas, "table/tbl", READ, 5, 100).await?;
    let mut step = policy_body(
        "p",
        "table/tbl",
        READ,
        "DynamoDBReadCapacityUtilization",
        70.0,
    );
    step["PolicyType"] = "StepScaling".into();
    assert_eq!(
        err(call(&env.aas, "PutScalingPolicy", step).await)?.aws_code(),
        "ValidationException"
    );
    let mut no_value = policy_body(
        "p",
        "table/tbl",
        READ,
        "DynamoDBReadCapacityUtilization",
        70.0,
    );
    no_value["TargetTrackingScalingPolicyConfiguration"]
        .as_object_mut()
        .map(|o| o.remove("TargetValue"));
    let e = err(call(&env.aas, "PutScalingPolicy", no_value).await)?;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'targetTrackingScalingPolicyConfiguration.targetValue' failed to satisfy constraint: Member must not be null"
    );
    let ecs = policy_body(
        "p",
        "table/tbl",
        READ,
        "ECSServiceAverageCPUUtilization",
        70.0,
    );
    assert_eq!(
        err(call(&env.aas, "PutScalingPolicy", ecs).await)?.aws_code(),
        "ValidationException"
    );
    let mut no_type = policy_body(
        "p",
        "table/tbl",
        READ,
        "DynamoDBReadCapacityUtilization",
        70.0,
    );
    no_type.as_object_mut().map(|o| o.remove("PolicyType"));
    assert_eq!(
        err(call(&env.aas, "PutScalingPolicy", no_type).await)?.aws_code(),
        "ValidationException"
    );
    assert!(env.aas.scaling_policies()?.is_empty());

    let e = err(call(
        &env.aas,
        "DeleteScalingPolicy",
        json!({"PolicyName": "p", "ServiceNamespace": "dynamodb", "ResourceId": "table/tbl",
                   "ScalableDimension": READ}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ObjectNotFoundException");
    assert_eq!(
        e.message(),
        "No scaling policy found for service namespace: dynamodb, resource ID: table/tbl, scalable dimension: dynamodb:table:ReadCapacityUnits, policy name: p"
    );
    Ok(())
}

#[tokio::test]
async fn describe_policies_filters_and_pages() -> R {
    let env = setup().await?;
    register(&env.aas, "table/tbl", READ, 1, 10).await?;
    register(&env.aas, "table/tbl", WRITE, 1, 10).await?;
    register(&env.aas, "table/ondemand", READ, 1, 10).await?;
    let metrics = [
        "DynamoDBReadCapacityUtilization",
        "DynamoDBWriteCapacityUtilization",
    ];
    for i in 0..12 {
        let (id, dim) = match i % 3 {
            0 => ("table/tbl", READ),
            1 => ("table/tbl", WRITE),
            _ => ("table/ondemand", READ),
        };
        // Distinct metric specifications: the resource label tells them apart.
        let mut body = policy_body(&format!("p{i:02}"), id, dim, metrics[i % 2], 70.0);
        body["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
            ["ResourceLabel"] = format!("label-{i}").into();
        call(&env.aas, "PutScalingPolicy", body).await?;
    }
    let first = call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb"}),
    )
    .await?;
    assert_eq!(first["ScalingPolicies"].as_array().map(Vec::len), Some(10));
    let token = first["NextToken"].as_str().ok_or("no NextToken")?;
    let second = call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb", "NextToken": token}),
    )
    .await?;
    assert_eq!(second["ScalingPolicies"].as_array().map(Vec::len), Some(2));
    assert!(second.get("NextToken").is_none());
    let on_t = call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl"}),
    )
    .await?;
    assert_eq!(on_t["ScalingPolicies"].as_array().map(Vec::len), Some(8));
    let writes = call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": WRITE}),
    )
    .await?;
    assert_eq!(writes["ScalingPolicies"].as_array().map(Vec::len), Some(4));
    let named = call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb", "PolicyNames": ["p00", "p05", "zz"]}),
    )
    .await?;
    assert_eq!(named["ScalingPolicies"].as_array().map(Vec::len), Some(2));
    let e = err(call(
        &env.aas,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb", "MaxResults": 11}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    Ok(())
}

#[tokio::test]
async fn deregistering_deletes_policies() -> R {
    let env = setup().await?;
    register(&env.aas, "table/tbl", READ, 5, 100).await?;
    register(&env.aas, "table/tbl", WRITE, 5, 100).await?;
    call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "r",
            "table/tbl",
            READ,
            "DynamoDBReadCapacityUtilization",
            70.0,
        ),
    )
    .await?;
    call(
        &env.aas,
        "PutScalingPolicy",
        policy_body(
            "w",
            "table/tbl",
            WRITE,
            "DynamoDBWriteCapacityUtilization",
            70.0,
        ),
    )
    .await?;
    let arn = describe_targets(
        &env.aas,
        json!({"ServiceNamespace": "dynamodb", "ResourceIds": ["table/tbl"], "ScalableDimension": READ}),
    )
    .await?[0]["ScalableTargetARN"]
        .clone();
    let out = call(
        &env.aas,
        "DeregisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ}),
    )
    .await?;
    assert_eq!(out, json!({}));
    let left = env.aas.scaling_policies()?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].policy_name, "w");
    assert_eq!(env.aas.alarms()?.len(), 4);
    // Terraform's wait for the delete: the three-part key finds nothing.
    assert!(describe_targets(
        &env.aas,
        json!({"ServiceNamespace": "dynamodb", "ResourceIds": ["table/tbl"], "ScalableDimension": READ}),
    )
    .await?
    .is_empty());
    let e = err(call(&env.aas, "ListTagsForResource", json!({"ResourceARN": arn})).await)?;
    assert_eq!(e.aws_code(), "ResourceNotFoundException");
    let e = err(call(
        &env.aas,
        "DeregisterScalableTarget",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ObjectNotFoundException");
    assert_eq!(
        e.message(),
        "No scalable target found for service namespace: dynamodb, resource ID: table/tbl, scalable dimension: dynamodb:table:ReadCapacityUnits"
    );
    call(
        &env.aas,
        "DeleteScalingPolicy",
        json!({"PolicyName": "w", "ServiceNamespace": "dynamodb", "ResourceId": "table/tbl",
               "ScalableDimension": WRITE}),
    )
    .await?;
    assert!(env.aas.alarms()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn tags() -> R {
    let env = setup().await?;
    let arn = register(&env.aas, "table/tbl", READ, 1, 10).await?["ScalableTargetARN"].clone();
    assert_eq!(
        call(&env.aas, "ListTagsForResource", json!({"ResourceARN": arn})).await?,
        json!({"Tags": {}})
    );
    call(
        &env.aas,
        "TagResource",
        json!({"ResourceARN": arn, "Tags": {"a": "1", "b": "2"}}),
    )
    .await?;
    call(
        &env.aas,
        "TagResource",
        json!({"ResourceARN": arn, "Tags": {"a": "3"}}),
    )
    .await?;
    call(
        &env.aas,
        "UntagResource",
        json!({"ResourceARN": arn, "TagKeys": ["b", "zz"]}),
    )
    .await?;
    assert_eq!(
        call(&env.aas, "ListTagsForResource", json!({"ResourceARN": arn})).await?,
        json!({"Tags": {"a": "3"}})
    );
    let many: serde_json::Map<String, Json> = (0..50)
        .map(|i| (format!("k{i}"), Json::from("v")))
        .collect();
    let e = err(call(
        &env.aas,
        "TagResource",
        json!({"ResourceARN": arn, "Tags": many}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "TooManyTagsException");
    let missing = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0123456789abcdef0123456789abcdef0123";
    let e = err(call(
        &env.aas,
        "TagResource",
        json!({"ResourceARN": missing, "Tags": {"a": "b"}}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ResourceNotFoundException");
    assert_eq!(e.to_json()["ResourceName"], missing);
    let e = err(call(
        &env.aas,
        "ListTagsForResource",
        json!({"ResourceARN": "table/tbl"}),
    )
    .await)?;
    assert_eq!(e.aws_code(), "ValidationException");
    assert!(e.message().contains("at 'resourceARN' failed to satisfy constraint: Member must satisfy regular expression pattern"));
    let e = err(call(&env.aas, "TagResource", json!({"ResourceARN": arn})).await)?;
    assert!(e.message().contains("Value null at 'tags'"));
    Ok(())
}

#[tokio::test]
async fn scaling_activities_are_empty() -> R {
    let env = setup().await?;
    let out = call(
        &env.aas,
        "DescribeScalingActivities",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ}),
    )
    .await?;
    assert_eq!(out, json!({"ScalingActivities": []}));
    let e = err(call(&env.aas, "DescribeScalingActivities", json!({})).await)?;
    assert_eq!(e.code, ErrorCode::Validation);
    Ok(())
}

#[tokio::test]
async fn records_outlive_the_service_and_need_no_catalog() -> R {
    let env = setup().await?;
    register(
        &env.aas,
        "table/tbl/index/gsi",
        "dynamodb:index:ReadCapacityUnits",
        1,
        10,
    )
    .await?;
    // A second service over the same store, reading tables from the store itself.
    let other = AutoScaling::open(env.store.clone(), ACCOUNT.into())?;
    assert_eq!(other.scalable_targets()?.len(), 1);
    let out = call(
        &other,
        "PutScalingPolicy",
        policy_body(
            "g",
            "table/tbl/index/gsi",
            "dynamodb:index:ReadCapacityUnits",
            "DynamoDBReadCapacityUtilization",
            50.0,
        ),
    )
    .await?;
    let name = out["Alarms"][0]["AlarmName"].as_str().ok_or("no alarm")?;
    assert!(name.starts_with("TargetTracking-table/tbl/index/gsi-AlarmHigh-"));
    // The GSI has 3 RCU: 50 % of 3 units for a minute.
    let high = env.aas.alarms()?.into_iter().next().ok_or("no alarm")?;
    assert!((high.threshold - 90.0).abs() < 1e-9);
    assert_eq!(high.dimensions.len(), 2);
    let e = err(register(&other, "table/missing", READ, 1, 2).await)?;
    assert_eq!(e.message(), "DynamoDB table does not exist: table/missing");
    drop(env.dynamo);
    Ok(())
}

/// The calls Terraform's aws_appautoscaling_target and aws_appautoscaling_policy make for
/// apply, refresh and destroy, with the members the provider sends and reads.
#[tokio::test]
async fn terraform_round_trip() -> R {
    let env = setup().await?;
    let aas = &env.aas;
    // apply: target (create sends Tags; RoleARN only when configured).
    let arn = call(
        aas,
        "RegisterScalableTarget",
        json!({"MaxCapacity": 100, "MinCapacity": 5, "ResourceId": "table/tbl",
               "ScalableDimension": READ, "ServiceNamespace": "dynamodb",
               "Tags": {"Environment": "dev", "ManagedBy": "terraform"}}),
    )
    .await?["ScalableTargetARN"]
        .clone();
    let read_target = || async {
        let t = describe_targets(
            aas,
            json!({"ResourceIds": ["table/tbl"], "ScalableDimension": READ, "ServiceNamespace": "dynamodb"}),
        )
        .await?;
        let tags = call(aas, "ListTagsForResource", json!({"ResourceARN": arn})).await?;
        Ok::<_, AutoScalingError>((t, tags))
    };
    let (t1, tags1) = read_target().await?;
    assert_eq!(t1.len(), 1);
    assert_eq!(tags1["Tags"]["ManagedBy"], "terraform");
    // apply: policy (the provider sends the cooldowns and DisableScaleIn even when unset).
    let policy = json!({
        "PolicyName": "dev-users-read-scaling-policy", "PolicyType": "TargetTrackingScaling",
        "ResourceId": "table/tbl", "ScalableDimension": READ, "ServiceNamespace": "dynamodb",
        "TargetTrackingScalingPolicyConfiguration": {
            "DisableScaleIn": false,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
            "ScaleInCooldown": 60, "ScaleOutCooldown": 60, "TargetValue": 70
        }
    });
    let put = call(aas, "PutScalingPolicy", policy.clone()).await?;
    let read_policy = || async {
        call(
            aas,
            "DescribeScalingPolicies",
            json!({"PolicyNames": ["dev-users-read-scaling-policy"], "ResourceId": "table/tbl",
                   "ScalableDimension": READ, "ServiceNamespace": "dynamodb"}),
        )
        .await
    };
    let p1 = read_policy().await?;
    assert_eq!(p1["ScalingPolicies"][0]["PolicyARN"], put["PolicyARN"]);
    let cfg = &p1["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(cfg["TargetValue"].as_f64(), Some(70.0));
    assert_eq!(cfg["ScaleInCooldown"], 60);
    assert_eq!(cfg["DisableScaleIn"], false);
    // plan: a refresh reads the same values again (no diff).
    assert_eq!(read_target().await?, (t1, tags1));
    assert_eq!(read_policy().await?, p1);
    // destroy: policy first (read, delete), then target (deregister, wait until not found).
    call(
        aas,
        "DeleteScalingPolicy",
        json!({"PolicyName": "dev-users-read-scaling-policy", "ResourceId": "table/tbl",
               "ScalableDimension": READ, "ServiceNamespace": "dynamodb"}),
    )
    .await?;
    assert_eq!(read_policy().await?, json!({"ScalingPolicies": []}));
    call(
        aas,
        "DeregisterScalableTarget",
        json!({"ResourceId": "table/tbl", "ScalableDimension": READ, "ServiceNamespace": "dynamodb"}),
    )
    .await?;
    assert!(
        describe_targets(aas, json!({"ServiceNamespace": "dynamodb"}))
            .await?
            .is_empty()
    );
    assert!(env.aas.alarms()?.is_empty());
    Ok(())
}

/// The capacity of `tbl`'s reads, as DynamoDB describes it.
async fn table_reads(dynamo: &Dynamo) -> Result<i64, Box<dyn Error>> {
    let t = ddb(dynamo, "DescribeTable", json!({"TableName": "tbl"})).await?;
    t["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"]
        .as_i64()
        .ok_or_else(|| "no capacity".into())
}

#[tokio::test]
async fn policies_scale_within_bounds_and_cooldowns() -> R {
    let env = setup().await?;
    let dynamo = std::sync::Arc::new(env.dynamo);
    let aas = env.aas;
    let d = dynamo.clone();
    aas.set_capacity_setter(std::sync::Arc::new(move |c: crate::CapacityChange| {
        let d = d.clone();
        Box::pin(async move {
            let t = ddb(&d, "DescribeTable", json!({"TableName": "tbl"}))
                .await
                .map_err(|e| e.to_string())?;
            let write = t["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"].clone();
            ddb(
                &d,
                "UpdateTable",
                json!({"TableName": "tbl", "ProvisionedThroughput": {"ReadCapacityUnits": c.capacity, "WriteCapacityUnits": write}}),
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
    }));
    // Registration brings 5 units up to the minimum of 8.
    register(&aas, "table/tbl", READ, 8, 100).await?;
    assert_eq!(table_reads(&dynamo).await?, 8);
    let mut body = policy_body(
        "p",
        "table/tbl",
        READ,
        "DynamoDBReadCapacityUtilization",
        70.0,
    );
    body["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"] = json!(300);
    body["TargetTrackingScalingPolicyConfiguration"]["ScaleOutCooldown"] = json!(60);
    call(&aas, "PutScalingPolicy", body).await?;
    let policy = aas.scaling_policies()?.remove(0);
    let alarm = |kind: AlarmKind| {
        policy
            .alarms
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| (a.alarm_actions[0].clone(), a.alarm_name.clone()))
            .unwrap_or_default()
    };
    let (high_action, high) = alarm(AlarmKind::AlarmHigh);
    let (low_action, low) = alarm(AlarmKind::AlarmLow);
    let t0 = 1_800_000_000_000u64;
    let minute = |per_second: f64| Some(per_second * 60.0);
    // 14 units a second at a 70 % target: 20.
    aas.run_policy(&high_action, &high, minute(14.0), t0)
        .await?;
    assert_eq!(table_reads(&dynamo).await?, 20);
    // Within the scale-out cooldown, a larger load waits.
    aas.run_policy(&high_action, &high, minute(28.0), t0 + 30_000)
        .await?;
    assert_eq!(table_reads(&dynamo).await?, 20);
    // 7 a second: scale in to 10 (the scale-out cooldown is over).
    aas.run_policy(&low_action, &low, minute(7.0), t0 + 400_000)
        .await?;
    assert_eq!(table_reads(&dynamo).await?, 10);
    // Within the 300 s scale-in cooldown nothing more comes off...
    aas.run_policy(&low_action, &low, minute(3.0), t0 + 500_000)
        .await?;
    assert_eq!(table_reads(&dynamo).await?, 10);
    // ... after it, down to the minimum of 8 (3 / 0.7 is 5).
    aas.run_policy(&low_action, &low, minute(3.0), t0 + 800_000)
        .await?;
    assert_eq!(table_reads(&dynamo).await?, 8);
    let out = call(
        &aas,
        "DescribeScalingActivities",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": "table/tbl", "ScalableDimension": READ}),
    )
    .await?;
    let descriptions: Vec<&str> = out["ScalingActivities"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["Description"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        descriptions,
        [
            "Setting read capacity units to 8.",
            "Setting read capacity units to 10.",
            "Setting read capacity units to 20.",
            "Setting read capacity units to 8."
        ]
    );
    // AlarmHigh's threshold follows the capacity: 70 % of 8 units for a minute.
    let now = aas.scaling_policies()?.remove(0);
    let high_threshold = now
        .alarms
        .iter()
        .find(|a| a.kind == AlarmKind::AlarmHigh)
        .map(|a| a.threshold);
    assert_eq!(high_threshold, Some(0.7 * 8.0 * 60.0));
    Ok(())
}
