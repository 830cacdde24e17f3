//! IAM through its public API, as the Terraform AWS provider (5.x) and boto3 drive it:
//! `aws_iam_role`, `aws_iam_role_policy`, `aws_iam_role_policy_attachment`, `aws_iam_policy` and
//! `data "aws_iam_policy"` create, read, update and delete sequences, XML shapes, paging and
//! AWS's errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam::{Iam, IamError};

const ACCOUNT: &str = "123456789012";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const BACKUP_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup";
const INLINE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}"#;

fn iam() -> Iam {
    Iam::open(store::Store::in_memory().unwrap(), ACCOUNT.to_string()).unwrap()
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn ok(iam: &Iam, action: &str, pairs: &[(&str, &str)]) -> String {
    match iam.call(action, &params(pairs)).await {
        Ok(xml) => {
            assert_balanced(&xml);
            xml
        }
        Err(e) => panic!("{action} failed: {e}"),
    }
}

async fn err(iam: &Iam, action: &str, pairs: &[(&str, &str)]) -> IamError {
    match iam.call(action, &params(pairs)).await {
        Ok(xml) => panic!("{action} succeeded: {xml}"),
        Err(e) => e,
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#13;", "\r")
        .replace("&amp;", "&")
}

/// The text of every `<tag>…</tag>` (no nesting of the same tag in these shapes).
fn fields(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(unescape(&after[..j]));
        rest = &after[j + close.len()..];
    }
    out
}

fn field(xml: &str, tag: &str) -> String {
    fields(xml, tag)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Every element closes, in order: the result nests into well-formed XML.
fn assert_balanced(xml: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let j = after
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {xml}"));
        let tag = &after[..j];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "in {xml}");
        } else if !tag.ends_with('/') {
            stack.push(tag);
        }
        rest = &after[j + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?} in {xml}");
    assert!(
        !xml.contains('&') || !xml.contains("& "),
        "unescaped & in {xml}"
    );
}

async fn create_backup_role(iam: &Iam, name: &str) -> String {
    ok(
        iam,
        "CreateRole",
        &[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("Path", "/"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", TRUST),
            ("MaxSessionDuration", "3600"),
            ("Tags.member.1.Key", "Environment"),
            ("Tags.member.1.Value", "dev"),
            ("Tags.member.2.Key", "ManagedBy"),
            ("Tags.member.2.Value", "terraform"),
        ],
    )
    .await
}

#[tokio::test]
async fn terraform_role_and_attachment_lifecycle() {
    let iam = iam();
    // aws_iam_role create.
    let created = create_backup_role(&iam, "app-dev-dynamodb-backup").await;
    assert!(
        created.starts_with("<Role><Path>/</Path><Arn>"),
        "{created}"
    );
    assert_eq!(
        field(&created, "Arn"),
        "arn:aws:iam::123456789012:role/app-dev-dynamodb-backup"
    );
    let role_id = field(&created, "RoleId");
    assert_eq!(role_id.len(), 21);
    assert!(role_id.starts_with("AROA"));
    assert!(role_id[4..]
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    let date = field(&created, "CreateDate");
    assert_eq!(date.len(), 20, "{date}");
    assert!(date.ends_with('Z') && &date[10..11] == "T");
    let encoded = field(&created, "AssumeRolePolicyDocument");
    assert!(
        encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
        "{encoded}"
    );
    assert_eq!(url_decode(&encoded), TRUST);
    assert_eq!(fields(&created, "Key"), vec!["Environment", "ManagedBy"]);

    // Its read: GetRole, ListRolePolicies (+GetRolePolicy), ListAttachedRolePolicies.
    let got = ok(&iam, "GetRole", &[("RoleName", "app-dev-dynamodb-backup")]).await;
    for tag in [
        "Path",
        "Arn",
        "RoleName",
        "AssumeRolePolicyDocument",
        "MaxSessionDuration",
        "CreateDate",
        "RoleId",
    ] {
        assert_eq!(fields(&got, tag).len(), 1, "{tag} in {got}");
    }
    assert!(got.contains("<RoleLastUsed/>"));
    assert_eq!(field(&got, "MaxSessionDuration"), "3600");
    assert_eq!(field(&got, "RoleId"), role_id);
    assert_eq!(field(&got, "CreateDate"), date);
    assert!(!got.contains("<Description>"));
    assert!(!got.contains("PermissionsBoundary"));
    assert_eq!(
        fields(&got, "Value"),
        vec!["dev".to_string(), "terraform".to_string()]
    );
    let inline = ok(
        &iam,
        "ListRolePolicies",
        &[("RoleName", "app-dev-dynamodb-backup")],
    )
    .await;
    assert_eq!(
        inline,
        "<PolicyNames></PolicyNames><IsTruncated>false</IsTruncated>"
    );
    let attached = ok(
        &iam,
        "ListAttachedRolePolicies",
        &[("RoleName", "app-dev-dynamodb-backup")],
    )
    .await;
    assert_eq!(
        attached,
        "<AttachedPolicies></AttachedPolicies><IsTruncated>false</IsTruncated>"
    );

    // aws_iam_role_policy_attachment create and read.
    let out = ok(
        &iam,
        "AttachRolePolicy",
        &[
            ("RoleName", "app-dev-dynamodb-backup"),
            ("PolicyArn", BACKUP_POLICY),
        ],
    )
    .await;
    assert_eq!(out, "");
    let attached = ok(
        &iam,
        "ListAttachedRolePolicies",
        &[("RoleName", "app-dev-dynamodb-backup")],
    )
    .await;
    assert_eq!(
        attached,
        "<AttachedPolicies><member><PolicyName>AWSBackupServiceRolePolicyForBackup</PolicyName><PolicyArn>arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup</PolicyArn></member></AttachedPolicies><IsTruncated>false</IsTruncated>"
    );
    // Attaching again changes nothing.
    ok(
        &iam,
        "AttachRolePolicy",
        &[
            ("RoleName", "app-dev-dynamodb-backup"),
            ("PolicyArn", BACKUP_POLICY),
        ],
    )
    .await;
    let got = ok(&iam, "GetPolicy", &[("PolicyArn", BACKUP_POLICY)]).await;
    assert_eq!(field(&got, "AttachmentCount"), "1");
    let entities = ok(
        &iam,
        "ListEntitiesForPolicy",
        &[("PolicyArn", BACKUP_POLICY)],
    )
    .await;
    assert_eq!(
        entities,
        format!("<PolicyGroups/><PolicyUsers/><PolicyRoles><member><RoleName>app-dev-dynamodb-backup</RoleName><RoleId>{role_id}</RoleId></member></PolicyRoles><IsTruncated>false</IsTruncated>")
    );

    // Destroy order: the attachment first, then the role (its delete lists and detaches too).
    let conflict = err(
        &iam,
        "DeleteRole",
        &[("RoleName", "app-dev-dynamodb-backup")],
    )
    .await;
    assert_eq!(
        (
            conflict.code.as_str(),
            conflict.message.as_str(),
            conflict.status
        ),
        (
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
            409
        )
    );
    ok(
        &iam,
        "DetachRolePolicy",
        &[
            ("RoleName", "app-dev-dynamodb-backup"),
            ("PolicyArn", BACKUP_POLICY),
        ],
    )
    .await;
    let again = err(
        &iam,
        "DetachRolePolicy",
        &[
            ("RoleName", "app-dev-dynamodb-backup"),
            ("PolicyArn", BACKUP_POLICY),
        ],
    )
    .await;
    assert_eq!(again.code, "NoSuchEntity");
    assert_eq!(
        again.message,
        format!("Policy {BACKUP_POLICY} was not found.")
    );
    let profiles = ok(
        &iam,
        "ListInstanceProfilesForRole",
        &[("RoleName", "app-dev-dynamodb-backup")],
    )
    .await;
    assert_eq!(
        profiles,
        "<InstanceProfiles/><IsTruncated>false</IsTruncated>"
    );
    ok(
        &iam,
        "DeleteRole",
        &[("RoleName", "app-dev-dynamodb-backup")],
    )
    .await;
    let gone = err(&iam, "GetRole", &[("RoleName", "app-dev-dynamodb-backup")]).await;
    assert_eq!(
        (gone.code.as_str(), gone.message.as_str(), gone.status),
        (
            "NoSuchEntity",
            "The role with name app-dev-dynamodb-backup cannot be found.",
            404
        )
    );
    let got = ok(&iam, "GetPolicy", &[("PolicyArn", BACKUP_POLICY)]).await;
    assert_eq!(field(&got, "AttachmentCount"), "0");
    let roles = ok(&iam, "ListRoles", &[]).await;
    assert_eq!(roles, "<Roles></Roles><IsTruncated>false</IsTruncated>");
}

#[tokio::test]
async fn terraform_role_updates() {
    let iam = iam();
    create_backup_role(&iam, "r").await;
    let trust2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["backup.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;
    ok(
        &iam,
        "UpdateAssumeRolePolicy",
        &[("RoleName", "r"), ("PolicyDocument", trust2)],
    )
    .await;
    let described = ok(
        &iam,
        "UpdateRoleDescription",
        &[
            ("RoleName", "r"),
            ("Description", "Backs up <tables> & more"),
        ],
    )
    .await;
    assert!(described.contains("<Description>Backs up &lt;tables&gt; &amp; more</Description>"));
    ok(
        &iam,
        "UpdateRole",
        &[("RoleName", "r"), ("MaxSessionDuration", "7200")],
    )
    .await;
    ok(
        &iam,
        "TagRole",
        &[
            ("RoleName", "r"),
            ("Tags.member.1.Key", "environment"),
            ("Tags.member.1.Value", "staging"),
            ("Tags.member.2.Key", "Team"),
            ("Tags.member.2.Value", "data"),
        ],
    )
    .await;
    ok(
        &iam,
        "UntagRole",
        &[("RoleName", "r"), ("TagKeys.member.1", "managedby")],
    )
    .await;
    let got = ok(&iam, "GetRole", &[("RoleName", "r")]).await;
    assert_eq!(url_decode(&field(&got, "AssumeRolePolicyDocument")), trust2);
    assert_eq!(field(&got, "Description"), "Backs up <tables> & more");
    assert_eq!(field(&got, "MaxSessionDuration"), "7200");
    // Tag keys compare without case: "environment" replaced "Environment".
    assert_eq!(fields(&got, "Key"), vec!["environment", "Team"]);
    assert_eq!(fields(&got, "Value"), vec!["staging", "data"]);
    let tags = ok(
        &iam,
        "ListRoleTags",
        &[("RoleName", "r"), ("MaxItems", "1")],
    )
    .await;
    assert_eq!(fields(&tags, "Key"), vec!["environment"]);
    assert_eq!(field(&tags, "IsTruncated"), "true");
    let marker = field(&tags, "Marker");
    let tags = ok(
        &iam,
        "ListRoleTags",
        &[("RoleName", "r"), ("MaxItems", "1"), ("Marker", &marker)],
    )
    .await;
    assert_eq!(fields(&tags, "Key"), vec!["Team"]);
    assert_eq!(field(&tags, "IsTruncated"), "false");
    assert!(!tags.contains("<Marker>"));

    // Removing the description (Terraform sends an empty one) drops the element.
    ok(
        &iam,
        "UpdateRoleDescription",
        &[("RoleName", "r"), ("Description", "")],
    )
    .await;
    let got = ok(&iam, "GetRole", &[("RoleName", "r")]).await;
    assert!(!got.contains("<Description>"));

    // Permissions boundary: set, shown, counted, cleared.
    let boundary = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
    let missing = err(
        &iam,
        "PutRolePermissionsBoundary",
        &[
            ("RoleName", "r"),
            (
                "PermissionsBoundary",
                "arn:aws:iam::123456789012:policy/nope",
            ),
        ],
    )
    .await;
    assert_eq!(
        missing.message,
        "Scope ARN: arn:aws:iam::123456789012:policy/nope does not exist or is not attachable."
    );
    ok(
        &iam,
        "PutRolePermissionsBoundary",
        &[("RoleName", "r"), ("PermissionsBoundary", boundary)],
    )
    .await;
    let got = ok(&iam, "GetRole", &[("RoleName", "r")]).await;
    assert!(got.contains("<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess</PermissionsBoundaryArn></PermissionsBoundary>"), "{got}");
    let policy = ok(&iam, "GetPolicy", &[("PolicyArn", boundary)]).await;
    assert_eq!(field(&policy, "PermissionsBoundaryUsageCount"), "1");
    ok(&iam, "DeleteRolePermissionsBoundary", &[("RoleName", "r")]).await;
    let got = ok(&iam, "GetRole", &[("RoleName", "r")]).await;
    assert!(!got.contains("PermissionsBoundary"));
    let policy = ok(&iam, "GetPolicy", &[("PolicyArn", boundary)]).await;
    assert_eq!(field(&policy, "PermissionsBoundaryUsageCount"), "0");

    // ListRoles shows the subset IAM lists.
    let roles = ok(&iam, "ListRoles", &[]).await;
    assert_eq!(fields(&roles, "RoleName"), vec!["r"]);
    assert!(roles.contains("<MaxSessionDuration>7200</MaxSessionDuration>"));
    assert!(!roles.contains("<Tags>"));
    assert!(!roles.contains("RoleLastUsed"));
}

#[tokio::test]
async fn terraform_inline_role_policy_lifecycle() {
    let iam = iam();
    create_backup_role(&iam, "app").await;
    ok(
        &iam,
        "PutRolePolicy",
        &[
            ("RoleName", "app"),
            ("PolicyName", "orders-read"),
            ("PolicyDocument", INLINE),
        ],
    )
    .await;
    let got = ok(
        &iam,
        "GetRolePolicy",
        &[("RoleName", "app"), ("PolicyName", "orders-read")],
    )
    .await;
    assert_eq!(field(&got, "RoleName"), "app");
    assert_eq!(field(&got, "PolicyName"), "orders-read");
    assert_eq!(url_decode(&field(&got, "PolicyDocument")), INLINE);
    let names = ok(&iam, "ListRolePolicies", &[("RoleName", "app")]).await;
    assert_eq!(
        names,
        "<PolicyNames><member>orders-read</member></PolicyNames><IsTruncated>false</IsTruncated>"
    );
    // Update in place (the resource's update is the same PutRolePolicy).
    let updated = INLINE.replace("dynamodb:Query", "dynamodb:Scan");
    ok(
        &iam,
        "PutRolePolicy",
        &[
            ("RoleName", "app"),
            ("PolicyName", "orders-read"),
            ("PolicyDocument", &updated),
        ],
    )
    .await;
    let got = ok(
        &iam,
        "GetRolePolicy",
        &[("RoleName", "app"), ("PolicyName", "orders-read")],
    )
    .await;
    assert_eq!(url_decode(&field(&got, "PolicyDocument")), updated);

    let conflict = err(&iam, "DeleteRole", &[("RoleName", "app")]).await;
    assert_eq!(
        conflict.message,
        "Cannot delete entity, must delete policies first."
    );
    ok(
        &iam,
        "DeleteRolePolicy",
        &[("RoleName", "app"), ("PolicyName", "orders-read")],
    )
    .await;
    let missing = err(
        &iam,
        "GetRolePolicy",
        &[("RoleName", "app"), ("PolicyName", "orders-read")],
    )
    .await;
    assert_eq!(
        (
            missing.code.as_str(),
            missing.message.as_str(),
            missing.status
        ),
        (
            "NoSuchEntity",
            "The role policy with name orders-read cannot be found.",
            404
        )
    );
    let missing = err(
        &iam,
        "DeleteRolePolicy",
        &[("RoleName", "app"), ("PolicyName", "orders-read")],
    )
    .await;
    assert_eq!(missing.code, "NoSuchEntity");
    let no_role = err(
        &iam,
        "PutRolePolicy",
        &[
            ("RoleName", "ghost"),
            ("PolicyName", "p"),
            ("PolicyDocument", INLINE),
        ],
    )
    .await;
    assert_eq!(no_role.message, "The role with name ghost cannot be found.");
    ok(&iam, "DeleteRole", &[("RoleName", "app")]).await;
}

#[tokio::test]
async fn terraform_managed_policy_lifecycle() {
    let iam = iam();
    let doc1 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#;
    let created = ok(
        &iam,
        "CreatePolicy",
        &[
            ("Description", "Access to the app's tables"),
            ("Path", "/app/"),
            ("PolicyDocument", doc1),
            ("PolicyName", "app-tables"),
            ("Tags.member.1.Key", "Environment"),
            ("Tags.member.1.Value", "dev"),
        ],
    )
    .await;
    let arn = "arn:aws:iam::123456789012:policy/app/app-tables";
    assert_eq!(field(&created, "Arn"), arn);
    assert_eq!(field(&created, "DefaultVersionId"), "v1");
    assert_eq!(field(&created, "Path"), "/app/");
    assert_eq!(field(&created, "IsAttachable"), "true");
    assert!(field(&created, "PolicyId").starts_with("ANPA"));

    // Read: GetPolicy then GetPolicyVersion of the default version.
    let got = ok(&iam, "GetPolicy", &[("PolicyArn", arn)]).await;
    for tag in [
        "PolicyName",
        "DefaultVersionId",
        "PolicyId",
        "Path",
        "Arn",
        "AttachmentCount",
        "PermissionsBoundaryUsageCount",
        "IsAttachable",
        "Description",
        "CreateDate",
        "UpdateDate",
    ] {
        assert_eq!(fields(&got, tag).len(), 1, "{tag} in {got}");
    }
    assert_eq!(field(&got, "Description"), "Access to the app's tables");
    assert_eq!(field(&got, "Key"), "Environment");
    let v1 = ok(
        &iam,
        "GetPolicyVersion",
        &[("PolicyArn", arn), ("VersionId", "v1")],
    )
    .await;
    assert_eq!(url_decode(&field(&v1, "Document")), doc1);
    assert_eq!(field(&v1, "IsDefaultVersion"), "true");

    // Update: prune check, new version, then make it the default.
    let doc2 = doc1.replace("dynamodb:*", "dynamodb:GetItem");
    let listed = ok(&iam, "ListPolicyVersions", &[("PolicyArn", arn)]).await;
    assert_eq!(fields(&listed, "VersionId"), vec!["v1"]);
    let v2 = ok(
        &iam,
        "CreatePolicyVersion",
        &[
            ("PolicyArn", arn),
            ("PolicyDocument", &doc2),
            ("SetAsDefault", "false"),
        ],
    )
    .await;
    assert_eq!(field(&v2, "VersionId"), "v2");
    assert_eq!(field(&v2, "IsDefaultVersion"), "false");
    assert!(!v2.contains("<Document>"));
    ok(
        &iam,
        "SetDefaultPolicyVersion",
        &[("PolicyArn", arn), ("VersionId", "v2")],
    )
    .await;
    let got = ok(&iam, "GetPolicy", &[("PolicyArn", arn)]).await;
    assert_eq!(field(&got, "DefaultVersionId"), "v2");
    let listed = ok(&iam, "ListPolicyVersions", &[("PolicyArn", arn)]).await;
    assert_eq!(fields(&listed, "VersionId"), vec!["v2", "v1"]);
    assert_eq!(fields(&listed, "IsDefaultVersion"), vec!["true", "false"]);
    let default_delete = err(
        &iam,
        "DeletePolicyVersion",
        &[("PolicyArn", arn), ("VersionId", "v2")],
    )
    .await;
    assert_eq!(
        default_delete.message,
        "Cannot delete the default version of a policy."
    );

    // Tags on policies.
    ok(
        &iam,
        "TagPolicy",
        &[
            ("PolicyArn", arn),
            ("Tags.member.1.Key", "Owner"),
            ("Tags.member.1.Value", "team"),
        ],
    )
    .await;
    ok(
        &iam,
        "UntagPolicy",
        &[("PolicyArn", arn), ("TagKeys.member.1", "Environment")],
    )
    .await;
    let tags = ok(&iam, "ListPolicyTags", &[("PolicyArn", arn)]).await;
    assert_eq!(
        tags,
        "<Tags><member><Key>Owner</Key><Value>team</Value></member></Tags><IsTruncated>false</IsTruncated>"
    );

    // Attached policies cannot be deleted.
    create_backup_role(&iam, "user").await;
    ok(
        &iam,
        "AttachRolePolicy",
        &[("RoleName", "user"), ("PolicyArn", arn)],
    )
    .await;
    let attached = err(&iam, "DeletePolicy", &[("PolicyArn", arn)]).await;
    assert_eq!(
        (attached.code.as_str(), attached.message.as_str()),
        (
            "DeleteConflict",
            "Cannot delete a policy attached to entities."
        )
    );
    ok(
        &iam,
        "DetachRolePolicy",
        &[("RoleName", "user"), ("PolicyArn", arn)],
    )
    .await;
    let versions = err(&iam, "DeletePolicy", &[("PolicyArn", arn)]).await;
    assert_eq!(versions.code, "DeleteConflict");
    assert!(versions
        .message
        .starts_with("This policy has more than one version."));

    // Delete: non-default versions, then the policy.
    ok(
        &iam,
        "DeletePolicyVersion",
        &[("PolicyArn", arn), ("VersionId", "v1")],
    )
    .await;
    ok(&iam, "DeletePolicy", &[("PolicyArn", arn)]).await;
    let gone = err(&iam, "GetPolicy", &[("PolicyArn", arn)]).await;
    assert_eq!(
        (gone.code.as_str(), gone.message.as_str(), gone.status),
        (
            "NoSuchEntity",
            "Policy arn:aws:iam::123456789012:policy/app/app-tables was not found.",
            404
        )
    );
    let exists = ok(
        &iam,
        "CreatePolicy",
        &[("PolicyName", "dup"), ("PolicyDocument", doc1)],
    )
    .await;
    assert_eq!(
        field(&exists, "Arn"),
        "arn:aws:iam::123456789012:policy/dup"
    );
    let dup = err(
        &iam,
        "CreatePolicy",
        &[("PolicyName", "DUP"), ("PolicyDocument", doc1)],
    )
    .await;
    assert_eq!(
        (dup.code.as_str(), dup.message.as_str(), dup.status),
        (
            "EntityAlreadyExists",
            "A policy called DUP already exists. Duplicate names are not allowed.",
            409
        )
    );
}

#[tokio::test]
async fn policy_version_quota() {
    let iam = iam();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    ok(
        &iam,
        "CreatePolicy",
        &[("PolicyName", "p"), ("PolicyDocument", doc)],
    )
    .await;
    let arn = "arn:aws:iam::123456789012:policy/p";
    for _ in 0..4 {
        ok(
            &iam,
            "CreatePolicyVersion",
            &[("PolicyArn", arn), ("PolicyDocument", doc)],
        )
        .await;
    }
    let full = err(
        &iam,
        "CreatePolicyVersion",
        &[("PolicyArn", arn), ("PolicyDocument", doc)],
    )
    .await;
    assert_eq!(full.code, "LimitExceeded");
    // A deleted version's number is not reused.
    ok(
        &iam,
        "DeletePolicyVersion",
        &[("PolicyArn", arn), ("VersionId", "v3")],
    )
    .await;
    let v = ok(
        &iam,
        "CreatePolicyVersion",
        &[
            ("PolicyArn", arn),
            ("PolicyDocument", doc),
            ("SetAsDefault", "true"),
        ],
    )
    .await;
    assert_eq!(field(&v, "VersionId"), "v6");
    assert_eq!(field(&v, "IsDefaultVersion"), "true");
    let missing = err(
        &iam,
        "GetPolicyVersion",
        &[("PolicyArn", arn), ("VersionId", "v3")],
    )
    .await;
    assert_eq!(
        missing.message,
        "Policy arn:aws:iam::123456789012:policy/p version v3 does not exist or is not attachable."
    );
}

#[tokio::test]
async fn aws_managed_policies_answer_like_aws() {
    let iam = iam();
    for (arn, name, path) in [
        (
            BACKUP_POLICY,
            "AWSBackupServiceRolePolicyForBackup",
            "/service-role/",
        ),
        (
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
            "AWSBackupServiceRolePolicyForRestores",
            "/service-role/",
        ),
        (
            "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
            "AmazonDynamoDBFullAccess",
            "/",
        ),
        (
            "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
            "AmazonDynamoDBReadOnlyAccess",
            "/",
        ),
        (
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSLambdaBasicExecutionRole",
            "/service-role/",
        ),
    ] {
        // data "aws_iam_policy" { arn = … }: GetPolicy, then GetPolicyVersion(default).
        let got = ok(&iam, "GetPolicy", &[("PolicyArn", arn)]).await;
        assert_eq!(field(&got, "PolicyName"), name);
        assert_eq!(field(&got, "Arn"), arn);
        assert_eq!(field(&got, "Path"), path);
        assert!(!field(&got, "Description").is_empty());
        let version = field(&got, "DefaultVersionId");
        let v = ok(
            &iam,
            "GetPolicyVersion",
            &[("PolicyArn", arn), ("VersionId", &version)],
        )
        .await;
        let doc: serde_json::Value =
            serde_json::from_str(&url_decode(&field(&v, "Document"))).unwrap();
        assert_eq!(doc["Version"], "2012-10-17");
        assert_eq!(field(&v, "IsDefaultVersion"), "true");
    }
    // data "aws_iam_policy" { name = … }: ListPolicies, filtered by name.
    let listed = ok(&iam, "ListPolicies", &[("Scope", "AWS")]).await;
    assert_eq!(fields(&listed, "PolicyName").len(), 5);
    assert!(!listed.contains("<Description>"));
    let local = ok(&iam, "ListPolicies", &[("Scope", "Local")]).await;
    assert_eq!(
        local,
        "<Policies></Policies><IsTruncated>false</IsTruncated>"
    );
    let attached = ok(&iam, "ListPolicies", &[("OnlyAttached", "true")]).await;
    assert_eq!(
        attached,
        "<Policies></Policies><IsTruncated>false</IsTruncated>"
    );

    // AWS owns them.
    let denied = err(&iam, "DeletePolicy", &[("PolicyArn", BACKUP_POLICY)]).await;
    assert_eq!((denied.code.as_str(), denied.status), ("AccessDenied", 403));

    // A policy that does not exist cannot be attached.
    create_backup_role(&iam, "r").await;
    let bogus = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForEverything";
    let e = err(
        &iam,
        "AttachRolePolicy",
        &[("RoleName", "r"), ("PolicyArn", bogus)],
    )
    .await;
    assert_eq!(
        (e.code.as_str(), e.message.as_str(), e.status),
        (
            "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForEverything does not exist or is not attachable.",
            404
        )
    );
    let e = err(&iam, "GetPolicy", &[("PolicyArn", bogus)]).await;
    assert_eq!(e.message, format!("Policy {bogus} was not found."));
}

#[tokio::test]
async fn attached_policies_page_with_marker() {
    let iam = iam();
    create_backup_role(&iam, "pager").await;
    let arns = [
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
        BACKUP_POLICY,
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ];
    for arn in arns {
        ok(
            &iam,
            "AttachRolePolicy",
            &[("RoleName", "pager"), ("PolicyArn", arn)],
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut p = vec![("RoleName", "pager"), ("MaxItems", "2")];
        if let Some(m) = &marker {
            p.push(("Marker", m.as_str()));
        }
        let page = ok(&iam, "ListAttachedRolePolicies", &p).await;
        pages += 1;
        seen.extend(fields(&page, "PolicyArn"));
        if field(&page, "IsTruncated") == "true" {
            marker = Some(field(&page, "Marker"));
        } else {
            assert!(!page.contains("<Marker>"));
            break;
        }
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<String> = arns.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    // PathPrefix filters on the policies' paths.
    let service = ok(
        &iam,
        "ListAttachedRolePolicies",
        &[("RoleName", "pager"), ("PathPrefix", "/service-role/")],
    )
    .await;
    assert_eq!(fields(&service, "PolicyArn").len(), 3);
    // Markers stay within IAM's 320 characters even for the longest names and paths.
    let long_name = "n".repeat(128);
    let long_path = format!("/{}/", "p".repeat(500));
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let created = ok(
        &iam,
        "CreatePolicy",
        &[
            ("PolicyName", &long_name),
            ("Path", &long_path),
            ("PolicyDocument", doc),
        ],
    )
    .await;
    let long_arn = field(&created, "Arn");
    ok(
        &iam,
        "AttachRolePolicy",
        &[("RoleName", "pager"), ("PolicyArn", &long_arn)],
    )
    .await;
    let first = ok(
        &iam,
        "ListAttachedRolePolicies",
        &[("RoleName", "pager"), ("MaxItems", "5")],
    )
    .await;
    let marker = field(&first, "Marker");
    assert!(marker.len() <= 320, "{}", marker.len());
    let last = ok(
        &iam,
        "ListAttachedRolePolicies",
        &[("RoleName", "pager"), ("Marker", &marker)],
    )
    .await;
    assert_eq!(fields(&last, "PolicyArn"), vec![long_arn.clone()]);
    let policies = ok(&iam, "ListPolicies", &[("MaxItems", "5")]).await;
    assert!(field(&policies, "Marker").len() <= 320);
    let rest = ok(
        &iam,
        "ListPolicies",
        &[("Marker", &field(&policies, "Marker"))],
    )
    .await;
    assert_eq!(fields(&rest, "Arn"), vec![long_arn]);
    let bad = err(
        &iam,
        "ListAttachedRolePolicies",
        &[("RoleName", "pager"), ("MaxItems", "0")],
    )
    .await;
    assert_eq!(
        bad.message,
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[tokio::test]
async fn roles_list_by_path_and_page() {
    let iam = iam();
    for name in ["c", "a", "b"] {
        create_backup_role(&iam, name).await;
    }
    ok(
        &iam,
        "CreateRole",
        &[
            ("RoleName", "svc"),
            ("Path", "/service/"),
            ("AssumeRolePolicyDocument", TRUST),
        ],
    )
    .await;
    let got = ok(&iam, "GetRole", &[("RoleName", "svc")]).await;
    assert_eq!(
        field(&got, "Arn"),
        "arn:aws:iam::123456789012:role/service/svc"
    );
    assert_eq!(field(&got, "MaxSessionDuration"), "3600");
    let first = ok(&iam, "ListRoles", &[("MaxItems", "2")]).await;
    assert_eq!(fields(&first, "RoleName"), vec!["a", "b"]);
    let next = ok(
        &iam,
        "ListRoles",
        &[("MaxItems", "2"), ("Marker", &field(&first, "Marker"))],
    )
    .await;
    assert_eq!(fields(&next, "RoleName"), vec!["c", "svc"]);
    assert_eq!(field(&next, "IsTruncated"), "false");
    let service = ok(&iam, "ListRoles", &[("PathPrefix", "/service/")]).await;
    assert_eq!(fields(&service, "RoleName"), vec!["svc"]);
}

#[tokio::test]
async fn refuses_like_aws() {
    let iam = iam();
    create_backup_role(&iam, "Backup").await;
    // Names are unique regardless of case; lookups ignore case too.
    let dup = err(
        &iam,
        "CreateRole",
        &[("RoleName", "backup"), ("AssumeRolePolicyDocument", TRUST)],
    )
    .await;
    assert_eq!(
        (dup.code.as_str(), dup.message.as_str(), dup.status),
        (
            "EntityAlreadyExists",
            "Role with name backup already exists.",
            409
        )
    );
    let got = ok(&iam, "GetRole", &[("RoleName", "BACKUP")]).await;
    assert_eq!(field(&got, "RoleName"), "Backup");

    let bad_json = err(
        &iam,
        "CreateRole",
        &[("RoleName", "x"), ("AssumeRolePolicyDocument", "{not json")],
    )
    .await;
    assert_eq!(
        (
            bad_json.code.as_str(),
            bad_json.message.as_str(),
            bad_json.status
        ),
        (
            "MalformedPolicyDocument",
            "This policy contains invalid Json",
            400
        )
    );
    let bad_inline = err(
        &iam,
        "PutRolePolicy",
        &[
            ("RoleName", "Backup"),
            ("PolicyName", "p"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            ),
        ],
    )
    .await;
    assert_eq!(
        (bad_inline.code.as_str(), bad_inline.message.as_str()),
        (
            "MalformedPolicyDocument",
            "Policy statement must contain resources."
        )
    );
    let bad_policy = err(
        &iam,
        "CreatePolicy",
        &[("PolicyName", "p"), ("PolicyDocument", "{}")],
    )
    .await;
    assert_eq!(bad_policy.message, "Syntax errors in policy.");

    let invalid = err(
        &iam,
        "CreateRole",
        &[("RoleName", "has space"), ("MaxSessionDuration", "60")],
    )
    .await;
    assert_eq!(invalid.code, "ValidationError");
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.message,
        "3 validation errors detected: Value 'has space' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
    );
    let long = "r".repeat(65);
    let e = err(&iam, "GetRole", &[("RoleName", long.as_str())]).await;
    assert_eq!(
        e.message,
        format!("1 validation error detected: Value '{long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64")
    );
    let short_arn = err(&iam, "GetPolicy", &[("PolicyArn", "aaaaa")]).await;
    assert_eq!(
        short_arn.message,
        "1 validation error detected: Value 'aaaaa' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
    );
    let path = err(
        &iam,
        "CreateRole",
        &[
            ("RoleName", "p"),
            ("Path", "nope"),
            ("AssumeRolePolicyDocument", TRUST),
        ],
    )
    .await;
    assert_eq!(
        path.message,
        "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."
    );
    let dup_tags = err(
        &iam,
        "TagRole",
        &[
            ("RoleName", "Backup"),
            ("Tags.member.1.Key", "a"),
            ("Tags.member.1.Value", "1"),
            ("Tags.member.2.Key", "A"),
            ("Tags.member.2.Value", "2"),
        ],
    )
    .await;
    assert_eq!(dup_tags.code, "InvalidInput");
    for action in [
        "DeleteRole",
        "UpdateRole",
        "ListRolePolicies",
        "ListAttachedRolePolicies",
        "ListInstanceProfilesForRole",
        "TagRole",
    ] {
        let e = err(
            &iam,
            action,
            &[
                ("RoleName", "ghost"),
                ("Tags.member.1.Key", "k"),
                ("Tags.member.1.Value", "v"),
            ],
        )
        .await;
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("NoSuchEntity", "The role with name ghost cannot be found."),
            "{action}"
        );
    }
    let unknown = err(
        &iam,
        "CreateInstanceProfile",
        &[("InstanceProfileName", "p")],
    )
    .await;
    assert_eq!(unknown.code, "InvalidAction");
}

#[tokio::test]
async fn quotas() {
    let iam = iam();
    create_backup_role(&iam, "q").await;
    // More than 10 KB of inline policies on one role.
    let big = |i: usize| {
        let actions: Vec<String> = (0..60)
            .map(|n| format!("\"dynamodb:Action{i}x{n:04}\""))
            .collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
            actions.join(",")
        )
    };
    let mut refused = None;
    for i in 0..10 {
        let name = format!("p{i}");
        match iam
            .call(
                "PutRolePolicy",
                &params(&[
                    ("RoleName", "q"),
                    ("PolicyName", &name),
                    ("PolicyDocument", &big(i)),
                ]),
            )
            .await
        {
            Ok(_) => {}
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let e = refused.expect("the quota must refuse a policy");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "LimitExceeded",
            "Maximum policy size of 10240 bytes exceeded for role q"
        )
    );
}

#[tokio::test]
async fn survives_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "dynostack-iam-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let created = {
        let store = store::Store::open_dir(&dir).unwrap();
        let iam = Iam::open(store.clone(), ACCOUNT.to_string()).unwrap();
        let created = create_backup_role(&iam, "durable").await;
        ok(
            &iam,
            "AttachRolePolicy",
            &[("RoleName", "durable"), ("PolicyArn", BACKUP_POLICY)],
        )
        .await;
        ok(
            &iam,
            "PutRolePolicy",
            &[
                ("RoleName", "durable"),
                ("PolicyName", "p"),
                ("PolicyDocument", INLINE),
            ],
        )
        .await;
        store.shutdown();
        created
    };
    let store = store::Store::open_dir(&dir).unwrap();
    let iam = Iam::open(store.clone(), ACCOUNT.to_string()).unwrap();
    let got = ok(&iam, "GetRole", &[("RoleName", "durable")]).await;
    assert_eq!(field(&got, "RoleId"), field(&created, "RoleId"));
    let attached = ok(&iam, "ListAttachedRolePolicies", &[("RoleName", "durable")]).await;
    assert_eq!(fields(&attached, "PolicyArn"), vec![BACKUP_POLICY]);
    let policy = ok(&iam, "GetPolicy", &[("PolicyArn", BACKUP_POLICY)]).await;
    assert_eq!(field(&policy, "AttachmentCount"), "1");
    let inline = ok(
        &iam,
        "GetRolePolicy",
        &[("RoleName", "durable"), ("PolicyName", "p")],
    )
    .await;
    assert_eq!(url_decode(&field(&inline, "PolicyDocument")), INLINE);
    store.shutdown();
    drop(iam);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn concurrent_creates_of_one_name_admit_one() {
    let iam = iam();
    let mut handles = Vec::new();
    for _ in 0..8 {
        let iam = iam.clone();
        handles.push(tokio::spawn(async move {
            iam.call(
                "CreateRole",
                &params(&[("RoleName", "race"), ("AssumeRolePolicyDocument", TRUST)]),
            )
            .await
        }));
    }
    let mut created = 0;
    let mut exists = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => created += 1,
            Err(e) if e.code == "EntityAlreadyExists" => exists += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((created, exists), (1, 7));
}
