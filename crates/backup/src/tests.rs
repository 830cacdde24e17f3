//! Replays of the Terraform AWS provider's (5.100) call sequences for aws_backup_vault,
//! aws_backup_plan and aws_backup_selection (apply, refresh, destroy), with the request bodies
//! the Go SDK v2 serializes, plus the rules of AWS Backup that boto3 users meet.

use serde_json::{json, Value};

use crate::{route, Backup, Op, Reply};

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

fn backup() -> Backup {
    Backup::open(store::Store::in_memory().unwrap(), ACCOUNT.to_string()).unwrap()
}

/// Percent-encodes a label as the SDKs do (everything but unreserved characters).
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn call(b: &Backup, method: &str, path: &str, query: &str, body: Value) -> Reply {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&body).unwrap()
    };
    b.call(method, path, query, &bytes, REGION).await
}

async fn ok(b: &Backup, method: &str, path: &str, body: Value) -> Value {
    let r = call(b, method, path, "", body).await;
    assert_eq!(r.status, 200, "{method} {path}: {:?}", r.body);
    assert_eq!(r.error_type, None);
    r.body
}

async fn err(b: &Backup, method: &str, path: &str, body: Value) -> (String, String) {
    let r = call(b, method, path, "", body).await;
    assert_eq!(r.status, 400, "{method} {path}: {:?}", r.body);
    let code = r.error_type.clone().unwrap();
    assert_eq!(r.body["Code"], json!(code));
    (code, r.body["Message"].as_str().unwrap().to_string())
}

fn tags() -> Value {
    json!({"Environment": "dev", "Project": "myapp", "ManagedBy": "terraform"})
}

/// The body the provider sends for the module's plan (start_window 60 and completion_window 180
/// are the provider's schema defaults; it always sends them).
fn plan_body(vault: &str, days: i64) -> Value {
    json!({
        "BackupPlan": {
            "BackupPlanName": "myapp-dev-dynamodb-backup-plan",
            "Rules": [{
                "CompletionWindowMinutes": 180,
                "EnableContinuousBackup": false,
                "Lifecycle": {"DeleteAfterDays": days},
                "RuleName": "daily",
                "ScheduleExpression": "cron(0 3 * * ? *)",
                "ScheduleExpressionTimezone": "Etc/UTC",
                "StartWindowMinutes": 60,
                "TargetBackupVaultName": vault
            }]
        },
        "BackupPlanTags": tags()
    })
}

fn selection_body(name: &str) -> Value {
    json!({
        "BackupSelection": {
            "Conditions": {},
            "IamRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/myapp-dev-dynamodb-backup"),
            "ListOfTags": [],
            "NotResources": [],
            "Resources": [
                format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/myapp-dev-users"),
                format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/myapp-dev-sessions")
            ],
            "SelectionName": name
        }
    })
}

#[tokio::test]
async fn terraform_apply_refresh_destroy() {
    let b = backup();
    let vault = "myapp-dev-dynamodb-backups";
    let vault_arn = format!("arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{vault}");

    // aws_backup_vault: create, read, tags.
    let out = ok(
        &b,
        "PUT",
        &format!("/backup-vaults/{vault}"),
        json!({"BackupVaultTags": tags()}),
    )
    .await;
    assert_eq!(out["BackupVaultName"], json!(vault));
    assert_eq!(out["BackupVaultArn"], json!(vault_arn));
    assert!(out["CreationDate"].as_f64().unwrap() > 1.7e9);
    let d = ok(&b, "GET", &format!("/backup-vaults/{vault}"), Value::Null).await;
    assert_eq!(d["BackupVaultArn"], json!(vault_arn));
    assert_eq!(d["NumberOfRecoveryPoints"], json!(0));
    assert_eq!(d["VaultType"], json!("BACKUP_VAULT"));
    assert_eq!(d["CreationDate"], out["CreationDate"]);
    assert!(d.get("EncryptionKeyArn").is_none());
    let t = ok(
        &b,
        "GET",
        &format!("/tags/{}/", enc(&vault_arn)),
        Value::Null,
    )
    .await;
    assert_eq!(t, json!({"Tags": tags()}));

    // aws_backup_plan: create, read, tags.
    let created = ok(&b, "PUT", "/backup/plans/", plan_body(vault, 7)).await;
    let id = created["BackupPlanId"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36);
    let plan_arn = format!("arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:{id}");
    assert_eq!(created["BackupPlanArn"], json!(plan_arn));
    let version = created["VersionId"].as_str().unwrap().to_string();
    assert_eq!(version.len(), 48);
    let got = ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
    assert_eq!(got["BackupPlanId"], json!(id));
    assert_eq!(got["BackupPlanArn"], json!(plan_arn));
    assert_eq!(got["VersionId"], json!(version));
    assert!(got.get("AdvancedBackupSettings").is_none());
    let plan = &got["BackupPlan"];
    assert_eq!(
        plan["BackupPlanName"],
        json!("myapp-dev-dynamodb-backup-plan")
    );
    let rule = &plan["Rules"][0];
    // What the provider flattens into state must equal what it sent: no diff on plan.
    assert_eq!(rule["RuleName"], json!("daily"));
    assert_eq!(rule["TargetBackupVaultName"], json!(vault));
    assert_eq!(rule["ScheduleExpression"], json!("cron(0 3 * * ? *)"));
    assert_eq!(rule["ScheduleExpressionTimezone"], json!("Etc/UTC"));
    assert_eq!(rule["StartWindowMinutes"], json!(60));
    assert_eq!(rule["CompletionWindowMinutes"], json!(180));
    assert_eq!(rule["EnableContinuousBackup"], json!(false));
    assert_eq!(rule["Lifecycle"], json!({"DeleteAfterDays": 7}));
    assert_eq!(rule["RuleId"].as_str().unwrap().len(), 36);
    assert!(rule.get("RecoveryPointTags").is_none());
    assert!(rule.get("CopyActions").is_none());
    let t = ok(
        &b,
        "GET",
        &format!("/tags/{}/", enc(&plan_arn)),
        Value::Null,
    )
    .await;
    assert_eq!(t, json!({"Tags": tags()}));

    // aws_backup_selection: create, read (the provider reads it until found).
    let sel = ok(
        &b,
        "PUT",
        &format!("/backup/plans/{id}/selections/"),
        selection_body("myapp-dev-dynamodb-tables"),
    )
    .await;
    let sid = sel["SelectionId"].as_str().unwrap().to_string();
    assert_eq!(sel["BackupPlanId"], json!(id));
    let s = ok(
        &b,
        "GET",
        &format!("/backup/plans/{id}/selections/{sid}"),
        Value::Null,
    )
    .await;
    assert_eq!(s["SelectionId"], json!(sid));
    assert_eq!(s["BackupPlanId"], json!(id));
    let bs = &s["BackupSelection"];
    assert_eq!(bs["SelectionName"], json!("myapp-dev-dynamodb-tables"));
    assert_eq!(
        bs["IamRoleArn"],
        json!(format!(
            "arn:aws:iam::{ACCOUNT}:role/myapp-dev-dynamodb-backup"
        ))
    );
    assert_eq!(bs["Resources"].as_array().unwrap().len(), 2);
    assert_eq!(bs["NotResources"], json!([]));
    assert_eq!(bs["ListOfTags"], json!([]));
    assert_eq!(
        bs["Conditions"],
        json!({"StringEquals": [], "StringNotEquals": [], "StringLike": [], "StringNotLike": []})
    );

    // Refresh: the same reads again give the same answers.
    assert_eq!(
        ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await,
        got
    );
    assert_eq!(
        ok(&b, "GET", &format!("/backup-vaults/{vault}"), Value::Null).await,
        d
    );

    // Destroy, in Terraform's order: selection, plan, vault.
    ok(
        &b,
        "DELETE",
        &format!("/backup/plans/{id}/selections/{sid}"),
        Value::Null,
    )
    .await;
    let del = ok(&b, "DELETE", &format!("/backup/plans/{id}"), Value::Null).await;
    assert_eq!(del["BackupPlanId"], json!(id));
    assert_eq!(del["BackupPlanArn"], json!(plan_arn));
    assert_eq!(del["VersionId"], json!(version));
    assert!(del["DeletionDate"].as_f64().is_some());
    ok(
        &b,
        "DELETE",
        &format!("/backup-vaults/{vault}"),
        Value::Null,
    )
    .await;

    // Gone, with the errors the provider reads as "not found".
    let (code, _) = err(&b, "GET", &format!("/backup-vaults/{vault}"), Value::Null).await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = err(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, msg) = err(
        &b,
        "GET",
        &format!("/backup/plans/{id}/selections/{sid}"),
        Value::Null,
    )
    .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(msg.contains("Cannot find Backup plan"), "{msg}");
    // A second destroy of each is what the provider tolerates.
    let (code, _) = err(&b, "DELETE", &format!("/backup/plans/{id}"), Value::Null).await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = err(
        &b,
        "DELETE",
        &format!("/backup-vaults/{vault}"),
        Value::Null,
    )
    .await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = err(
        &b,
        "DELETE",
        &format!("/backup/plans/{id}/selections/{sid}"),
        Value::Null,
    )
    .await;
    assert_eq!(code, "InvalidParameterValueException");

    // Nothing left behind (the check .ci/run makes through the APIs).
    let v = ok(&b, "GET", "/backup-vaults/", Value::Null).await;
    assert_eq!(v, json!({"BackupVaultList": []}));
    let p = ok(&b, "GET", "/backup/plans/", Value::Null).await;
    assert_eq!(p, json!({"BackupPlansList": []}));
    let r = call(
        &b,
        "GET",
        "/backup/plans/",
        "includeDeleted=true",
        Value::Null,
    )
    .await;
    assert_eq!(r.body["BackupPlansList"][0]["BackupPlanId"], json!(id));
    assert!(r.body["BackupPlansList"][0]["DeletionDate"]
        .as_f64()
        .is_some());
}

#[tokio::test]
async fn plan_is_not_deleted_while_selections_exist() {
    let b = backup();
    ok(&b, "PUT", "/backup-vaults/v1", json!({})).await;
    let id = ok(&b, "PUT", "/backup/plans/", plan_body("v1", 30)).await["BackupPlanId"]
        .as_str()
        .unwrap()
        .to_string();
    let sid = ok(
        &b,
        "PUT",
        &format!("/backup/plans/{id}/selections/"),
        selection_body("sel"),
    )
    .await["SelectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, msg) = err(&b, "DELETE", &format!("/backup/plans/{id}"), Value::Null).await;
    assert_eq!(code, "InvalidRequestException");
    // The provider retries on exactly this text.
    assert!(msg.contains("Related backup plan selections must be deleted prior to backup"));
    // Still there.
    ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
    ok(
        &b,
        "DELETE",
        &format!("/backup/plans/{id}/selections/{sid}"),
        Value::Null,
    )
    .await;
    ok(&b, "DELETE", &format!("/backup/plans/{id}"), Value::Null).await;
}

#[tokio::test]
async fn update_makes_a_new_version_and_keeps_rule_ids() {
    let b = backup();
    ok(&b, "PUT", "/backup-vaults/v1", json!({})).await;
    let created = ok(&b, "PUT", "/backup/plans/", plan_body("v1", 7)).await;
    let id = created["BackupPlanId"].as_str().unwrap().to_string();
    let v1 = created["VersionId"].as_str().unwrap().to_string();
    let before = ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
    let rule_id = before["BackupPlan"]["Rules"][0]["RuleId"].clone();

    let mut body = plan_body("v1", 35);
    body.as_object_mut().unwrap().remove("BackupPlanTags");
    let up = ok(&b, "POST", &format!("/backup/plans/{id}"), body).await;
    assert_eq!(up["BackupPlanId"], json!(id));
    let v2 = up["VersionId"].as_str().unwrap().to_string();
    assert_ne!(v1, v2);

    let after = ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
    assert_eq!(after["VersionId"], json!(v2));
    assert_eq!(after["BackupPlan"]["Rules"][0]["RuleId"], rule_id);
    assert_eq!(
        after["BackupPlan"]["Rules"][0]["Lifecycle"],
        json!({"DeleteAfterDays": 35})
    );
    // The old version stays readable by its id.
    let old = call(
        &b,
        "GET",
        &format!("/backup/plans/{id}/"),
        &format!("versionId={}", enc(&v1)),
        Value::Null,
    )
    .await;
    assert_eq!(old.status, 200);
    assert_eq!(
        old.body["BackupPlan"]["Rules"][0]["Lifecycle"],
        json!({"DeleteAfterDays": 7})
    );
    let bad = call(
        &b,
        "GET",
        &format!("/backup/plans/{id}/"),
        "versionId=nope",
        Value::Null,
    )
    .await;
    assert_eq!(bad.error_type.as_deref(), Some("ResourceNotFoundException"));
    // The list shows the current version.
    let list = ok(&b, "GET", "/backup/plans/", Value::Null).await;
    assert_eq!(list["BackupPlansList"][0]["VersionId"], json!(v2));
    assert_eq!(
        list["BackupPlansList"][0]["BackupPlanName"],
        json!("myapp-dev-dynamodb-backup-plan")
    );
    // Updating an unknown plan.
    let (code, _) = err(
        &b,
        "POST",
        "/backup/plans/00000000-0000-4000-8000-000000000000",
        plan_body("v1", 7),
    )
    .await;
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn defaults_when_a_client_leaves_rule_members_out() {
    let b = backup();
    let id = ok(
        &b,
        "PUT",
        "/backup/plans/",
        json!({"BackupPlan": {"BackupPlanName": "p", "Rules": [
            {"RuleName": "r", "TargetBackupVaultName": "Default"}
        ]}}),
    )
    .await["BackupPlanId"]
        .as_str()
        .unwrap()
        .to_string();
    let got = ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
    let rule = &got["BackupPlan"]["Rules"][0];
    assert_eq!(rule["StartWindowMinutes"], json!(480));
    assert_eq!(rule["CompletionWindowMinutes"], json!(10080));
    assert_eq!(rule["ScheduleExpressionTimezone"], json!("Etc/UTC"));
    assert_eq!(rule["ScheduleExpression"], json!("cron(0 5 ? * * *)"));
    assert!(rule.get("Lifecycle").is_none());
}

#[tokio::test]
async fn duplicates_are_refused() {
    let b = backup();
    ok(&b, "PUT", "/backup-vaults/v1", json!({})).await;
    let (code, msg) = err(&b, "PUT", "/backup-vaults/v1", json!({})).await;
    assert_eq!(code, "AlreadyExistsException");
    assert_eq!(msg, "Backup vault with the same name already exists");
    ok(&b, "PUT", "/backup/plans/", plan_body("v1", 7)).await;
    let (code, msg) = err(&b, "PUT", "/backup/plans/", plan_body("v1", 7)).await;
    assert_eq!(code, "AlreadyExistsException");
    assert_eq!(
        msg,
        "Backup plan with the same plan document already exists"
    );
    // Same name, another document: a second plan, as AWS does.
    ok(&b, "PUT", "/backup/plans/", plan_body("v1", 8)).await;
    let list = ok(&b, "GET", "/backup/plans/", Value::Null).await;
    assert_eq!(list["BackupPlansList"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn validation_errors() {
    let b = backup();
    let (code, _) = err(&b, "PUT", "/backup-vaults/a", json!({})).await;
    assert_eq!(code, "InvalidParameterValueException");
    let (code, _) = err(&b, "PUT", "/backup-vaults/has%20space", json!({})).await;
    assert_eq!(code, "InvalidParameterValueException");
    let (code, msg) = err(&b, "PUT", "/backup/plans/", plan_body("v1", 0)).await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(
        msg,
        "Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than 36500 days"
    );
    let (code, _) = err(&b, "PUT", "/backup/plans/", json!({})).await;
    assert_eq!(code, "MissingParameterValueException");
    let (code, _) = err(
        &b,
        "PUT",
        "/backup/plans/",
        json!({"BackupPlan": {"BackupPlanName": "p", "Rules": [{"RuleName": "r"}]}}),
    )
    .await;
    assert_eq!(code, "MissingParameterValueException");
    let r = b
        .call("PUT", "/backup/plans/", "", b"{not json", REGION)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type.as_deref(), Some("SerializationException"));

    ok(&b, "PUT", "/backup-vaults/v1", json!({})).await;
    let id = ok(&b, "PUT", "/backup/plans/", plan_body("v1", 7)).await["BackupPlanId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut empty = selection_body("s");
    empty["BackupSelection"]["Resources"] = json!([]);
    let (code, msg) = err(&b, "PUT", &format!("/backup/plans/{id}/selections/"), empty).await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(
        msg,
        "Invalid backup selection. Either 'ListOfTags' or 'Resources' section must be non-empty."
    );
    // Tags alone select too.
    let mut by_tag = selection_body("t");
    by_tag["BackupSelection"]["Resources"] = json!([]);
    by_tag["BackupSelection"]["ListOfTags"] = json!([
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}
    ]);
    ok(
        &b,
        "PUT",
        &format!("/backup/plans/{id}/selections/"),
        by_tag,
    )
    .await;
    let (code, _) = err(
        &b,
        "PUT",
        &format!("/backup/plans/{id}/selections/"),
        selection_body("t"),
    )
    .await;
    assert_eq!(code, "AlreadyExistsException");
    // A selection on an unknown plan.
    let (code, msg) = err(
        &b,
        "PUT",
        "/backup/plans/nope/selections/",
        selection_body("s"),
    )
    .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(msg.contains("Cannot find Backup plan"));
    // Paging bounds.
    let r = call(&b, "GET", "/backup-vaults/", "maxResults=0", Value::Null).await;
    assert_eq!(
        r.error_type.as_deref(),
        Some("InvalidParameterValueException")
    );
}

#[tokio::test]
async fn tags_on_vaults_and_plans() {
    let b = backup();
    let arn = ok(
        &b,
        "PUT",
        "/backup-vaults/v1",
        json!({"BackupVaultTags": {"a": "1"}}),
    )
    .await["BackupVaultArn"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &b,
        "POST",
        &format!("/tags/{}", enc(&arn)),
        json!({"Tags": {"b": "2", "a": "0"}}),
    )
    .await;
    let t = ok(&b, "GET", &format!("/tags/{}/", enc(&arn)), Value::Null).await;
    assert_eq!(t, json!({"Tags": {"a": "0", "b": "2"}}));
    ok(
        &b,
        "POST",
        &format!("/untag/{}", enc(&arn)),
        json!({"TagKeyList": ["a", "zz"]}),
    )
    .await;
    let t = ok(&b, "GET", &format!("/tags/{}/", enc(&arn)), Value::Null).await;
    assert_eq!(t, json!({"Tags": {"b": "2"}}));
    // An ARN sent with its ':' unencoded is the same resource.
    let t = ok(&b, "GET", &format!("/tags/{arn}/"), Value::Null).await;
    assert_eq!(t, json!({"Tags": {"b": "2"}}));

    let plan_arn = ok(&b, "PUT", "/backup/plans/", plan_body("v1", 7)).await["BackupPlanArn"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &b,
        "POST",
        &format!("/tags/{}", enc(&plan_arn)),
        json!({"Tags": {"x": "y"}}),
    )
    .await;
    let t = ok(
        &b,
        "GET",
        &format!("/tags/{}/", enc(&plan_arn)),
        Value::Null,
    )
    .await;
    assert_eq!(t["Tags"]["x"], json!("y"));
    assert_eq!(t["Tags"]["Project"], json!("myapp"));

    let missing = format!("arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:nope");
    let (code, _) = err(
        &b,
        "POST",
        &format!("/tags/{}", enc(&missing)),
        json!({"Tags": {"a": "b"}}),
    )
    .await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = err(&b, "GET", "/tags/not-an-arn/", Value::Null).await;
    assert_eq!(code, "InvalidParameterValueException");
    let (code, _) = err(
        &b,
        "POST",
        &format!("/tags/{}", enc(&arn)),
        json!({"Tags": {"aws:x": "b"}}),
    )
    .await;
    assert_eq!(code, "InvalidParameterValueException");
}

#[tokio::test]
async fn recovery_points_are_empty_until_backups_run() {
    let b = backup();
    ok(&b, "PUT", "/backup-vaults/v1", json!({})).await;
    let r = ok(&b, "GET", "/backup-vaults/v1/recovery-points/", Value::Null).await;
    assert_eq!(r, json!({"RecoveryPoints": []}));
    let (code, _) = err(&b, "GET", "/backup-vaults/v2/recovery-points/", Value::Null).await;
    assert_eq!(code, "ResourceNotFoundException");
    let table = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/myapp-dev-users");
    let r = ok(
        &b,
        "GET",
        &format!("/resources/{}/recovery-points/", enc(&table)),
        Value::Null,
    )
    .await;
    assert_eq!(r, json!({"RecoveryPoints": []}));
}

#[tokio::test]
async fn paging_and_regions() {
    let b = backup();
    for n in ["v3", "v1", "v2"] {
        ok(&b, "PUT", &format!("/backup-vaults/{n}"), json!({})).await;
    }
    let r = call(&b, "GET", "/backup-vaults/", "maxResults=2", Value::Null).await;
    let names: Vec<_> = r.body["BackupVaultList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["BackupVaultName"].clone())
        .collect();
    assert_eq!(names, vec![json!("v1"), json!("v2")]);
    let token = r.body["NextToken"].as_str().unwrap().to_string();
    let r = call(
        &b,
        "GET",
        "/backup-vaults/",
        &format!("maxResults=2&nextToken={token}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.body["BackupVaultList"][0]["BackupVaultName"], json!("v3"));
    assert!(r.body.get("NextToken").is_none());

    // Another region sees none of them, and may use the same name.
    let other = b
        .call("GET", "/backup-vaults/v1", "", b"", "eu-west-1")
        .await;
    assert_eq!(
        other.error_type.as_deref(),
        Some("ResourceNotFoundException")
    );
    let made = b
        .call("PUT", "/backup-vaults/v1", "", b"{}", "eu-west-1")
        .await;
    assert_eq!(made.status, 200);
    assert_eq!(
        made.body["BackupVaultArn"],
        json!(format!(
            "arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:v1"
        ))
    );
}

#[tokio::test]
async fn records_survive_a_reopen() {
    let store = store::Store::in_memory().unwrap();
    let b = Backup::open(store.clone(), ACCOUNT.into()).unwrap();
    ok(
        &b,
        "PUT",
        "/backup-vaults/v1",
        json!({"BackupVaultTags": {"k": "v"}}),
    )
    .await;
    let id = ok(&b, "PUT", "/backup/plans/", plan_body("v1", 7)).await["BackupPlanId"]
        .as_str()
        .unwrap()
        .to_string();
    drop(b);
    let b = Backup::open(store, ACCOUNT.into()).unwrap();
    ok(&b, "GET", "/backup-vaults/v1", Value::Null).await;
    ok(&b, "GET", &format!("/backup/plans/{id}/"), Value::Null).await;
}

#[tokio::test]
async fn unknown_routes() {
    let b = backup();
    let r = call(&b, "PATCH", "/backup-vaults/v1", "", Value::Null).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_type.as_deref(), Some("UnknownOperationException"));
    let r = call(&b, "GET", "/nothing/here", "", Value::Null).await;
    assert_eq!(r.status, 404);
}

#[test]
fn routes_follow_the_model() {
    assert_eq!(
        route("GET", "/backup-vaults/").unwrap(),
        Op::ListBackupVaults
    );
    assert_eq!(
        route("PUT", "/backup-vaults/a-b").unwrap(),
        Op::CreateBackupVault("a-b".into())
    );
    assert_eq!(
        route("PUT", "/backup/plans/").unwrap(),
        Op::CreateBackupPlan
    );
    assert_eq!(
        route("GET", "/backup/plans/x/").unwrap(),
        Op::GetBackupPlan("x".into())
    );
    assert_eq!(
        route("POST", "/backup/plans/x").unwrap(),
        Op::UpdateBackupPlan("x".into())
    );
    assert_eq!(
        route("GET", "/backup/plans/x/selections/y").unwrap(),
        Op::GetBackupSelection("x".into(), "y".into())
    );
    assert_eq!(
        route(
            "GET",
            "/resources/arn%3Aaws%3Adynamodb%3Aus-east-1%3A1%3Atable%2Ft/recovery-points/"
        )
        .unwrap(),
        Op::ListRecoveryPointsByResource("arn:aws:dynamodb:us-east-1:1:table/t".into())
    );
    assert_eq!(
        route(
            "GET",
            "/resources/arn:aws:dynamodb:us-east-1:1:table/t/recovery-points/"
        )
        .unwrap(),
        Op::ListRecoveryPointsByResource("arn:aws:dynamodb:us-east-1:1:table/t".into())
    );
    assert_eq!(
        route(
            "POST",
            "/untag/arn%3Aaws%3Abackup%3Aus-east-1%3A1%3Abackup-vault%3Av"
        )
        .unwrap(),
        Op::UntagResource("arn:aws:backup:us-east-1:1:backup-vault:v".into())
    );
}

#[test]
fn ids_look_like_aws_ids() {
    let a = crate::util::uuid4();
    let b = crate::util::uuid4();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    let v = crate::util::version_id();
    assert_eq!(v.len(), 48);
    assert!(v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'));
}

#[test]
fn query_strings_are_form_decoded() {
    let q = crate::util::parse_query("versionId=a%2Bb%2Fc%3D&x=1+2&flag").unwrap();
    assert_eq!(
        q,
        vec![
            ("versionId".to_string(), "a+b/c=".to_string()),
            ("x".to_string(), "1 2".to_string()),
            ("flag".to_string(), String::new()),
        ]
    );
}
