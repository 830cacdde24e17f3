//! Operation tests against an in-memory store, through `Kms::call` as the server calls it.

use std::ops::Bound;

use base64::Engine;
use serde_json::{json, Value as Json};
use store::{ScanControl, Store};

use crate::keys;
use crate::model::{KeyRecord, ALIASES, KEYS, META};
use crate::{ErrorCode, Kms, KmsError};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(v: &Json) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("a base64 string"))
        .expect("valid base64")
}

fn kms() -> Kms {
    Kms::open(Store::in_memory().unwrap(), ACCOUNT.into()).unwrap()
}

async fn call_in(k: &Kms, region: &str, op: &str, body: Json) -> Result<Json, KmsError> {
    k.call(op, body.to_string().as_bytes(), region).await
}

async fn ok(k: &Kms, op: &str, body: Json) -> Json {
    match call_in(k, REGION, op, body).await {
        Ok(v) => v,
        Err(e) => panic!("{op} failed: {e}"),
    }
}

async fn err(k: &Kms, op: &str, body: Json) -> KmsError {
    match call_in(k, REGION, op, body).await {
        Ok(v) => panic!("{op} should have failed, returned {v}"),
        Err(e) => e,
    }
}

/// Creates a key; returns its KeyMetadata.
async fn create(k: &Kms) -> Json {
    ok(k, "CreateKey", json!({})).await["KeyMetadata"].clone()
}

async fn encrypt(k: &Kms, key: &str, plaintext: &[u8], context: Json) -> Json {
    ok(
        k,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": b64(plaintext), "EncryptionContext": context}),
    )
    .await
}

/// Rewrites a stored key record directly (to move its clock-driven dates into the past).
async fn edit_key(k: &Kms, key_id: &str, f: impl FnOnce(&mut KeyRecord) + Send + 'static) {
    let id = key_id.to_string();
    k.store
        .write(move |ctx| {
            let mut rec = KeyRecord::decode(&ctx.get(KEYS, id.as_bytes())?.unwrap()).unwrap();
            f(&mut rec);
            ctx.insert(KEYS, id.as_bytes(), &rec.encode().unwrap())?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Every backing key of a key, unwrapped (test-only access to the secret).
fn materials(k: &Kms, key_id: &str) -> Vec<[u8; 32]> {
    let rec = keys::load_key(&k.store.read().unwrap(), key_id)
        .unwrap()
        .unwrap();
    rec.backing
        .iter()
        .map(|b| crate::ops::material(k, &rec, b.version).unwrap().0)
        .collect()
}

/// Every stored byte of the KMS tables, key and value, as (table, key, value).
fn stored(k: &Kms) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let snap = k.store.read().unwrap();
    let mut out = Vec::new();
    for table in [KEYS, ALIASES, META] {
        snap.scan(
            table,
            (Bound::Unbounded, Bound::Unbounded),
            false,
            |key, v| {
                out.push((table.to_string(), key.to_vec(), v.to_vec()));
                ScanControl::Continue
            },
        )
        .unwrap();
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

// ---- CreateKey, DescribeKey, ListKeys -------------------------------------------------

#[tokio::test]
async fn create_key_returns_aws_key_metadata() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap();
    assert!(keys::is_key_id(id));
    assert_eq!(m["AWSAccountId"], ACCOUNT);
    assert_eq!(m["Arn"], format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"));
    assert!(m["CreationDate"].as_f64().unwrap() > 1.6e9);
    assert_eq!(m["Enabled"], true);
    assert_eq!(m["Description"], "");
    assert_eq!(m["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Origin"], "AWS_KMS");
    assert_eq!(m["KeyManager"], "CUSTOMER");
    assert_eq!(m["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(m["MultiRegion"], false);
    let material_id = m["CurrentKeyMaterialId"].as_str().unwrap();
    assert_eq!(material_id.len(), 64);
    assert!(material_id
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert!(m.get("DeletionDate").is_none());
    assert!(m.get("PendingDeletionWindowInDays").is_none());

    let d = ok(&k, "DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(d["KeyMetadata"], m);

    let p = ok(
        &k,
        "GetKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default"}),
    )
    .await;
    assert_eq!(p["PolicyName"], "default");
    let policy: Json = serde_json::from_str(p["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "kms:*", "Resource": "*"}]})
    );
}

#[tokio::test]
async fn create_key_validates_like_kms() {
    let k = kms();
    let e = err(&k, "CreateKey", json!({"KeySpec": "HMAC_random"})).await;
    assert_eq!(e.aws_code(), "ValidationException");
    assert_eq!(
        e.message(),
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy \
         constraint: Member must satisfy enum value set: [RSA_2048, ECC_NIST_P384, \
         ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, ECC_SECG_P256K1, RSA_4096, \
         SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512]"
    );
    let e = err(&k, "CreateKey", json!({"KeyUsage": "RANDOM"})).await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy \
         constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, \
         GENERATE_VERIFY_MAC]"
    );
    let e = err(&k, "CreateKey", json!({"KeySpec": "RSA_2048"})).await;
    assert_eq!(e.code(), ErrorCode::UnsupportedOperation);
    let e = err(&k, "CreateKey", json!({"MultiRegion": true})).await;
    assert_eq!(e.code(), ErrorCode::UnsupportedOperation);
    let e = err(&k, "CreateKey", json!({"Policy": "not json"})).await;
    assert_eq!(e.aws_code(), "MalformedPolicyDocumentException");
    let e = err(&k, "CreateKey", json!({"Description": 5})).await;
    assert_eq!(e.aws_code(), "SerializationException");
    // Explicit defaults are fine.
    let m = ok(
        &k,
        "CreateKey",
        json!({"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "MultiRegion": false,
               "Origin": "AWS_KMS", "Description": "d"}),
    )
    .await;
    assert_eq!(m["KeyMetadata"]["Description"], "d");
}

#[tokio::test]
async fn describe_key_finds_keys_by_every_identifier() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap();
    let arn = m["Arn"].as_str().unwrap();
    ok(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .await;
    for ident in [
        id.to_string(),
        arn.to_string(),
        "alias/app".to_string(),
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"),
    ] {
        let d = ok(&k, "DescribeKey", json!({"KeyId": ident})).await;
        assert_eq!(d["KeyMetadata"]["KeyId"], id, "{ident}");
    }
}

#[tokio::test]
async fn describe_key_errors_carry_aws_messages() {
    let k = kms();
    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let e = err(&k, "DescribeKey", json!({"KeyId": missing})).await;
    assert_eq!(e.aws_code(), "NotFoundException");
    assert_eq!(
        e.message(),
        format!("Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{missing}' does not exist")
    );
    let e = err(&k, "DescribeKey", json!({"KeyId": "fake-key-id"})).await;
    assert_eq!(e.message(), "Invalid keyId 'fake-key-id'");
    let e = err(&k, "DescribeKey", json!({"KeyId": "alias/nope"})).await;
    assert_eq!(
        e.message(),
        format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/nope is not found.")
    );
    let e = err(&k, "DescribeKey", json!({})).await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: \
         Member must not be null"
    );
    assert_eq!(e.http_status(), 400);
}

#[tokio::test]
async fn keys_are_regional() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap();
    let e = call_in(&k, "ap-southeast-1", "DescribeKey", json!({"KeyId": id}))
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        format!("Key 'arn:aws:kms:ap-southeast-1:{ACCOUNT}:key/{id}' does not exist")
    );
    let e = call_in(
        &k,
        "ap-southeast-1",
        "DescribeKey",
        json!({"KeyId": m["Arn"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.message(), format!("Invalid arn {REGION}"));
    let l = call_in(&k, "ap-southeast-1", "ListKeys", json!({}))
        .await
        .unwrap();
    assert_eq!(l["Keys"], json!([]));
    let other = call_in(&k, "cn-north-1", "CreateKey", json!({}))
        .await
        .unwrap();
    assert!(other["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws-cn:kms:cn-north-1:"));
}

#[tokio::test]
async fn list_keys_pages() {
    let k = kms();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create(&k).await["KeyId"].as_str().unwrap().to_string());
    }
    ids.sort();
    let first = ok(&k, "ListKeys", json!({"Limit": 2})).await;
    assert_eq!(first["Truncated"], true);
    assert_eq!(first["Keys"].as_array().unwrap().len(), 2);
    assert_eq!(first["Keys"][0]["KeyId"], ids[0].as_str());
    assert!(first["Keys"][0]["KeyArn"]
        .as_str()
        .unwrap()
        .ends_with(&ids[0]));
    let second = ok(
        &k,
        "ListKeys",
        json!({"Limit": 2, "Marker": first["NextMarker"]}),
    )
    .await;
    assert_eq!(second["Truncated"], false);
    assert!(second.get("NextMarker").is_none());
    assert_eq!(second["Keys"][0]["KeyId"], ids[2].as_str());
    let all = ok(&k, "ListKeys", json!({})).await;
    assert_eq!(all["Keys"].as_array().unwrap().len(), 3);
    let e = err(&k, "ListKeys", json!({"Limit": 0})).await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
}

// ---- Policies, state, description -----------------------------------------------------

#[tokio::test]
async fn key_policies_round_trip() {
    let k = kms();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    let m = ok(&k, "CreateKey", json!({"Policy": policy})).await["KeyMetadata"].clone();
    let id = m["KeyId"].as_str().unwrap();
    let p = ok(&k, "GetKeyPolicy", json!({"KeyId": id})).await;
    assert_eq!(p["Policy"], policy);
    let new = r#"{"Version":"2012-10-17","Statement":[]}"#;
    ok(
        &k,
        "PutKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default", "Policy": new}),
    )
    .await;
    assert_eq!(
        ok(&k, "GetKeyPolicy", json!({"KeyId": id})).await["Policy"],
        new
    );
    assert_eq!(
        ok(&k, "ListKeyPolicies", json!({"KeyId": id})).await,
        json!({"PolicyNames": ["default"], "Truncated": false})
    );
    let e = err(
        &k,
        "GetKeyPolicy",
        json!({"KeyId": id, "PolicyName": "other"}),
    )
    .await;
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = err(&k, "PutKeyPolicy", json!({"KeyId": id, "Policy": "{"})).await;
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    let e = err(&k, "PutKeyPolicy", json!({"KeyId": id})).await;
    assert!(e.message().contains("Value null at 'policy'"));
}

#[tokio::test]
async fn disabled_keys_refuse_cryptography() {
    let k = kms();
    let m = create(&k).await;
    let (id, arn) = (m["KeyId"].as_str().unwrap(), m["Arn"].as_str().unwrap());
    let blob = encrypt(&k, id, b"data", json!({})).await["CiphertextBlob"].clone();
    ok(&k, "DisableKey", json!({"KeyId": id})).await;
    let d = ok(&k, "DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    assert_eq!(d["KeyMetadata"]["Enabled"], false);
    let e = err(&k, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")})).await;
    assert_eq!(e.aws_code(), "DisabledException");
    assert_eq!(e.message(), format!("{arn} is disabled."));
    let e = err(&k, "Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(e.aws_code(), "DisabledException");
    let e = err(
        &k,
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_256"}),
    )
    .await;
    assert_eq!(e.aws_code(), "DisabledException");
    ok(&k, "EnableKey", json!({"KeyId": id})).await;
    let p = ok(&k, "Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(unb64(&p["Plaintext"]), b"data");
    // Management operations take key ids and ARNs, not aliases.
    let e = err(&k, "EnableKey", json!({"KeyId": "alias/x"})).await;
    assert_eq!(e.message(), "Invalid keyId 'alias/x'");
}

#[tokio::test]
async fn update_key_description() {
    let k = kms();
    let id = create(&k).await["KeyId"].as_str().unwrap().to_string();
    ok(
        &k,
        "UpdateKeyDescription",
        json!({"KeyId": id, "Description": "new"}),
    )
    .await;
    let d = ok(&k, "DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(d["KeyMetadata"]["Description"], "new");
    let e = err(&k, "UpdateKeyDescription", json!({"KeyId": id})).await;
    assert!(e.message().contains("Value null at 'description'"));
}

// ---- Aliases ---------------------------------------------------------------------------

#[tokio::test]
async fn aliases_resolve_and_follow_updates() {
    let k = kms();
    let a = create(&k).await;
    let b = create(&k).await;
    let (a_id, b_id) = (a["KeyId"].as_str().unwrap(), b["KeyId"].as_str().unwrap());
    ok(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": a["Arn"]}),
    )
    .await;
    let c = encrypt(&k, "alias/app", b"hello", json!({})).await;
    assert_eq!(c["KeyId"], a["Arn"]);
    let d = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "KeyId": "alias/app"}),
    )
    .await;
    assert_eq!(unb64(&d["Plaintext"]), b"hello");

    ok(
        &k,
        "UpdateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": b_id}),
    )
    .await;
    let c2 = encrypt(&k, "alias/app", b"hello", json!({})).await;
    assert_eq!(c2["KeyId"], b["Arn"]);
    // The old ciphertext names key A: it decrypts, but not under the alias that moved.
    let e = err(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "KeyId": "alias/app"}),
    )
    .await;
    assert_eq!(e.aws_code(), "IncorrectKeyException");
    assert_eq!(
        e.message(),
        "The key ID in the request does not identify a CMK that can perform this operation."
    );

    let list = ok(&k, "ListAliases", json!({})).await;
    assert_eq!(list["Truncated"], false);
    let aliases = list["Aliases"].as_array().unwrap();
    let app = aliases
        .iter()
        .find(|x| x["AliasName"] == "alias/app")
        .unwrap();
    assert_eq!(app["TargetKeyId"], b_id);
    assert_eq!(
        app["AliasArn"],
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app")
    );
    assert!(app["CreationDate"].as_f64().unwrap() <= app["LastUpdatedDate"].as_f64().unwrap());
    // AWS's predefined alias shows up without a target until its key exists.
    let ddb = aliases
        .iter()
        .find(|x| x["AliasName"] == "alias/aws/dynamodb")
        .unwrap();
    assert!(ddb.get("TargetKeyId").is_none());

    let by_key = ok(&k, "ListAliases", json!({"KeyId": a_id})).await;
    assert_eq!(by_key["Aliases"], json!([]));
    let by_key = ok(&k, "ListAliases", json!({"KeyId": b["Arn"]})).await;
    assert_eq!(by_key["Aliases"].as_array().unwrap().len(), 1);

    ok(&k, "DeleteAlias", json!({"AliasName": "alias/app"})).await;
    let e = err(&k, "DescribeKey", json!({"KeyId": "alias/app"})).await;
    assert_eq!(e.aws_code(), "NotFoundException");
    let e = err(&k, "DeleteAlias", json!({"AliasName": "alias/app"})).await;
    assert_eq!(
        e.message(),
        format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/app is not found.")
    );
}

#[tokio::test]
async fn alias_names_are_checked() {
    let k = kms();
    let id = create(&k).await["KeyId"].as_str().unwrap().to_string();
    ok(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .await;
    let e = err(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .await;
    assert_eq!(e.aws_code(), "AlreadyExistsException");
    assert_eq!(
        e.message(),
        format!("An alias with the name arn:aws:kms:{REGION}:{ACCOUNT}:alias/app already exists")
    );
    let e = err(
        &k,
        "CreateAlias",
        json!({"AliasName": "app", "TargetKeyId": id}),
    )
    .await;
    assert_eq!(e.aws_code(), "ValidationException");
    assert_eq!(
        e.message(),
        "Alias must start with the prefix \"alias/\". Please see \
         https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
    );
    let e = err(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/aws/mine", "TargetKeyId": id}),
    )
    .await;
    assert_eq!(e.aws_code(), "NotAuthorizedException");
    let e = err(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/a b", "TargetKeyId": id}),
    )
    .await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    );
    let e = err(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/b", "TargetKeyId": "alias/app"}),
    )
    .await;
    assert_eq!(e.aws_code(), "ValidationException");
    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let e = err(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/b", "TargetKeyId": missing}),
    )
    .await;
    assert_eq!(e.aws_code(), "NotFoundException");
    let e = err(
        &k,
        "UpdateAlias",
        json!({"AliasName": "alias/none", "TargetKeyId": id}),
    )
    .await;
    assert_eq!(e.aws_code(), "NotFoundException");
    // Same name in another region is another alias.
    let other = call_in(&k, "eu-west-1", "CreateKey", json!({}))
        .await
        .unwrap();
    call_in(
        &k,
        "eu-west-1",
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": other["KeyMetadata"]["KeyId"]}),
    )
    .await
    .unwrap();
}

// ---- Tags ------------------------------------------------------------------------------

#[tokio::test]
async fn tags_round_trip() {
    let k = kms();
    let m = ok(
        &k,
        "CreateKey",
        json!({"Tags": [{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "app", "TagValue": "x"}]}),
    )
    .await["KeyMetadata"]
        .clone();
    let id = m["KeyId"].as_str().unwrap();
    assert_eq!(
        ok(&k, "ListResourceTags", json!({"KeyId": id})).await,
        json!({"Tags": [{"TagKey": "app", "TagValue": "x"}, {"TagKey": "env", "TagValue": "dev"}],
               "Truncated": false})
    );
    ok(
        &k,
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": "env", "TagValue": "prod"}]}),
    )
    .await;
    ok(
        &k,
        "UntagResource",
        json!({"KeyId": id, "TagKeys": ["app", "absent"]}),
    )
    .await;
    assert_eq!(
        ok(&k, "ListResourceTags", json!({"KeyId": m["Arn"]})).await["Tags"],
        json!([{"TagKey": "env", "TagValue": "prod"}])
    );
    let first = ok(&k, "ListResourceTags", json!({"KeyId": id, "Limit": 1})).await;
    assert_eq!(first["Truncated"], false);
    ok(
        &k,
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": "z", "TagValue": ""}]}),
    )
    .await;
    let first = ok(&k, "ListResourceTags", json!({"KeyId": id, "Limit": 1})).await;
    assert_eq!(first["Truncated"], true);
    let second = ok(
        &k,
        "ListResourceTags",
        json!({"KeyId": id, "Limit": 1, "Marker": first["NextMarker"]}),
    )
    .await;
    assert_eq!(second["Tags"], json!([{"TagKey": "z", "TagValue": ""}]));

    let e = err(
        &k,
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": "aws:x", "TagValue": "v"}]}),
    )
    .await;
    assert_eq!(e.aws_code(), "TagException");
    let long = "k".repeat(129);
    let e = err(
        &k,
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": long, "TagValue": "v"}]}),
    )
    .await;
    assert_eq!(
        e.message(),
        format!(
            "1 validation error detected: Value '{long}' at 'tags.1.member.tagKey' failed to \
             satisfy constraint: Member must have length less than or equal to 128"
        )
    );
}

// ---- Cryptography ----------------------------------------------------------------------

#[tokio::test]
async fn encrypt_decrypt_round_trip() {
    let k = kms();
    let m = create(&k).await;
    let (id, arn) = (m["KeyId"].as_str().unwrap(), m["Arn"].as_str().unwrap());
    let ctx = json!({"table": "orders", "purpose": "test"});
    let c = encrypt(&k, id, b"attack at dawn", ctx.clone()).await;
    assert_eq!(c["KeyId"], arn);
    assert_eq!(c["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let blob = unb64(&c["CiphertextBlob"]);
    assert!(!contains(&blob, b"attack at dawn"));
    // No KeyId needed: the blob names its key.
    let d = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "EncryptionContext": ctx}),
    )
    .await;
    assert_eq!(unb64(&d["Plaintext"]), b"attack at dawn");
    assert_eq!(d["KeyId"], arn);
    assert_eq!(d["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(d["KeyMaterialId"], m["CurrentKeyMaterialId"]);
    // Pair order does not matter.
    let d = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "KeyId": id,
               "EncryptionContext": {"purpose": "test", "table": "orders"}}),
    )
    .await;
    assert_eq!(unb64(&d["Plaintext"]), b"attack at dawn");
    // Two encryptions of the same plaintext differ (fresh nonce).
    let c2 = encrypt(&k, id, b"attack at dawn", ctx.clone()).await;
    assert_ne!(c2["CiphertextBlob"], c["CiphertextBlob"]);
    // A key that did not make the blob is refused.
    let other = create(&k).await;
    let e = err(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "KeyId": other["KeyId"],
                                     "EncryptionContext": ctx}),
    )
    .await;
    assert_eq!(e.aws_code(), "IncorrectKeyException");
}

#[tokio::test]
async fn wrong_encryption_context_is_refused() {
    let k = kms();
    let id = create(&k).await["KeyId"].as_str().unwrap().to_string();
    let c = encrypt(&k, &id, b"secret", json!({"a": "1"})).await;
    for wrong in [
        json!({}),
        json!({"a": "2"}),
        json!({"a": "1", "b": "2"}),
        json!({"A": "1"}),
    ] {
        let e = err(
            &k,
            "Decrypt",
            json!({"CiphertextBlob": c["CiphertextBlob"], "EncryptionContext": wrong}),
        )
        .await;
        assert_eq!(e.aws_code(), "InvalidCiphertextException", "{wrong}");
        assert_eq!(e.message(), "");
        assert_eq!(e.to_json(), json!({"__type": "InvalidCiphertextException"}));
    }
    let c = encrypt(&k, &id, b"secret", json!({})).await;
    let e = err(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "EncryptionContext": {"a": "1"}}),
    )
    .await;
    assert_eq!(e.aws_code(), "InvalidCiphertextException");
}

#[tokio::test]
async fn tampered_ciphertexts_are_refused() {
    let k = kms();
    let id = create(&k).await["KeyId"].as_str().unwrap().to_string();
    let blob = unb64(&encrypt(&k, &id, b"0123456789", json!({})).await["CiphertextBlob"]);
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for i in [0, 17, 20, 25, blob.len() - 20, blob.len() - 1] {
        let mut t = blob.clone();
        t[i] ^= 0x01;
        cases.push(t);
    }
    cases.push(blob[..blob.len() - 1].to_vec());
    cases.push(b"definitely not a kms ciphertext blob at all".to_vec());
    for t in cases {
        let e = err(&k, "Decrypt", json!({"CiphertextBlob": b64(&t)})).await;
        assert_eq!(e.aws_code(), "InvalidCiphertextException", "{t:?}");
    }
    // A changed key id names a key that does not exist.
    let mut t = blob.clone();
    t[1] ^= 0x01;
    let e = err(&k, "Decrypt", json!({"CiphertextBlob": b64(&t)})).await;
    assert!(matches!(
        e.code(),
        ErrorCode::NotFound | ErrorCode::InvalidCiphertext
    ));
}

#[tokio::test]
async fn generate_data_keys() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap();
    for (body, len) in [
        (json!({"KeyId": id, "KeySpec": "AES_256"}), 32),
        (json!({"KeyId": id, "KeySpec": "AES_128"}), 16),
        (json!({"KeyId": id, "NumberOfBytes": 64}), 64),
    ] {
        let mut body = body;
        body["EncryptionContext"] = json!({"k": "v"});
        let g = ok(&k, "GenerateDataKey", body).await;
        let plain = unb64(&g["Plaintext"]);
        assert_eq!(plain.len(), len);
        assert_eq!(g["KeyId"], m["Arn"]);
        assert_eq!(g["KeyMaterialId"], m["CurrentKeyMaterialId"]);
        let d = ok(
            &k,
            "Decrypt",
            json!({"CiphertextBlob": g["CiphertextBlob"], "EncryptionContext": {"k": "v"}}),
        )
        .await;
        assert_eq!(unb64(&d["Plaintext"]), plain);
        let e = err(
            &k,
            "Decrypt",
            json!({"CiphertextBlob": g["CiphertextBlob"]}),
        )
        .await;
        assert_eq!(e.aws_code(), "InvalidCiphertextException");
    }
    let e = err(
        &k,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": "alias/none", "KeySpec": "AES_256"}),
    )
    .await;
    assert_eq!(e.aws_code(), "NotFoundException");
    let g = ok(
        &k,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": id, "KeySpec": "AES_256"}),
    )
    .await;
    assert!(g.get("Plaintext").is_none());
    let d = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": g["CiphertextBlob"]}),
    )
    .await;
    assert_eq!(unb64(&d["Plaintext"]).len(), 32);

    let e = err(&k, "GenerateDataKey", json!({"KeyId": id})).await;
    assert_eq!(
        e.message(),
        "Please specify either number of bytes or key spec."
    );
    let e = err(
        &k,
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_256", "NumberOfBytes": 32}),
    )
    .await;
    assert_eq!(
        e.message(),
        "Please specify either number of bytes or key spec."
    );
    let e = err(
        &k,
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_512"}),
    )
    .await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy \
         constraint: Member must satisfy enum value set: [AES_256, AES_128]"
    );
    let e = err(
        &k,
        "GenerateDataKey",
        json!({"KeyId": id, "NumberOfBytes": 1025}),
    )
    .await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy \
         constraint: Member must have value less than or equal to 1024"
    );
}

#[tokio::test]
async fn re_encrypt_moves_ciphertexts_between_keys() {
    let k = kms();
    let a = create(&k).await;
    let b = create(&k).await;
    let c = encrypt(
        &k,
        a["KeyId"].as_str().unwrap(),
        b"payload",
        json!({"x": "1"}),
    )
    .await;
    let r = ok(
        &k,
        "ReEncrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "SourceEncryptionContext": {"x": "1"},
               "DestinationKeyId": b["KeyId"], "DestinationEncryptionContext": {"y": "2"}}),
    )
    .await;
    assert_eq!(r["SourceKeyId"], a["Arn"]);
    assert_eq!(r["KeyId"], b["Arn"]);
    assert_eq!(r["SourceEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(r["DestinationEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(r["SourceKeyMaterialId"], a["CurrentKeyMaterialId"]);
    assert_eq!(r["DestinationKeyMaterialId"], b["CurrentKeyMaterialId"]);
    let d = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": r["CiphertextBlob"], "EncryptionContext": {"y": "2"}}),
    )
    .await;
    assert_eq!(unb64(&d["Plaintext"]), b"payload");
    assert_eq!(d["KeyId"], b["Arn"]);
    let e = err(
        &k,
        "ReEncrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "SourceEncryptionContext": {"x": "1"},
               "SourceKeyId": b["KeyId"], "DestinationKeyId": b["KeyId"]}),
    )
    .await;
    assert_eq!(e.aws_code(), "IncorrectKeyException");
    let e = err(
        &k,
        "ReEncrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"], "DestinationKeyId": b["KeyId"]}),
    )
    .await;
    assert_eq!(e.aws_code(), "InvalidCiphertextException");
    let e = err(
        &k,
        "ReEncrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"]}),
    )
    .await;
    assert!(e.message().contains("Value null at 'destinationKeyId'"));
}

#[tokio::test]
async fn generate_random() {
    let k = kms();
    for n in [1usize, 12, 1024] {
        let r = ok(&k, "GenerateRandom", json!({"NumberOfBytes": n})).await;
        assert_eq!(unb64(&r["Plaintext"]).len(), n);
    }
    assert_eq!(
        err(&k, "GenerateRandom", json!({})).await.message(),
        "NumberOfBytes is required."
    );
    assert_eq!(
        err(&k, "GenerateRandom", json!({"NumberOfBytes": 0}))
            .await
            .message(),
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy \
         constraint: Member must have value greater than or equal to 1"
    );
    assert_eq!(
        err(&k, "GenerateRandom", json!({"NumberOfBytes": 1025}))
            .await
            .message(),
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy \
         constraint: Member must have value less than or equal to 1024"
    );
}

#[tokio::test]
async fn request_shape_errors() {
    let k = kms();
    let id = create(&k).await["KeyId"].as_str().unwrap().to_string();
    let e = err(
        &k,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(&[7u8; 4097])}),
    )
    .await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: \
         Member must have length less than or equal to 4096"
    );
    let e = err(&k, "Encrypt", json!({"Plaintext": b64(b"x")})).await;
    assert!(e.message().contains("Value null at 'keyId'"));
    let e = err(&k, "Encrypt", json!({"KeyId": id, "Plaintext": "***"})).await;
    assert_eq!(e.aws_code(), "SerializationException");
    let e = err(
        &k,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
    )
    .await;
    assert_eq!(e.aws_code(), "InvalidKeyUsageException");
    let e = k.call("Encrypt", b"{not json", REGION).await.unwrap_err();
    assert_eq!(e.aws_code(), "SerializationException");
    let e = k
        .call("CreateCustomKeyStore", b"{}", REGION)
        .await
        .unwrap_err();
    assert_eq!(e.aws_code(), "UnknownOperationException");
    assert_eq!(e.http_status(), 400);
    assert_eq!(e.to_json(), json!({"__type": "UnknownOperationException"}));
    let e = err(&k, "DescribeKey", json!({"KeyId": "alias/x"})).await;
    assert_eq!(
        e.to_json(),
        json!({"__type": "NotFoundException",
               "message": format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/x is not found.")})
    );
    let e = err(
        &k,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "DryRun": true}),
    )
    .await;
    assert_eq!(e.aws_code(), "DryRunOperationException");
}

// ---- Rotation --------------------------------------------------------------------------

#[tokio::test]
async fn rotation_settings() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap();
    let s = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(s, json!({"KeyRotationEnabled": false, "KeyId": m["Arn"]}));
    ok(&k, "EnableKeyRotation", json!({"KeyId": id})).await;
    let s = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(s["KeyRotationEnabled"], true);
    assert_eq!(s["RotationPeriodInDays"], 365);
    let next = s["NextRotationDate"].as_f64().unwrap();
    let created = m["CreationDate"].as_f64().unwrap();
    assert!((next - created - 365.0 * 86400.0).abs() < 60.0);
    ok(
        &k,
        "EnableKeyRotation",
        json!({"KeyId": id, "RotationPeriodInDays": 90}),
    )
    .await;
    let s = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(s["RotationPeriodInDays"], 90);
    assert!((s["NextRotationDate"].as_f64().unwrap() - created - 90.0 * 86400.0).abs() < 60.0);
    let e = err(
        &k,
        "EnableKeyRotation",
        json!({"KeyId": id, "RotationPeriodInDays": 10}),
    )
    .await;
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '10' at 'rotationPeriodInDays' failed to satisfy \
         constraint: Member must have value greater than or equal to 90"
    );
    ok(&k, "DisableKeyRotation", json!({"KeyId": id})).await;
    let s = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(s, json!({"KeyRotationEnabled": false, "KeyId": m["Arn"]}));
    ok(&k, "DisableKey", json!({"KeyId": id})).await;
    let e = err(&k, "EnableKeyRotation", json!({"KeyId": id})).await;
    assert_eq!(e.aws_code(), "DisabledException");
}

#[tokio::test]
async fn rotation_keeps_old_ciphertexts_decryptable() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap();
    let before = encrypt(&k, id, b"old", json!({"v": "1"})).await;
    let r = ok(&k, "RotateKeyOnDemand", json!({"KeyId": id})).await;
    assert_eq!(r["KeyId"], m["Arn"]);
    let after = encrypt(&k, id, b"new", json!({"v": "2"})).await;
    let d_old = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": before["CiphertextBlob"], "EncryptionContext": {"v": "1"}}),
    )
    .await;
    let d_new = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": after["CiphertextBlob"], "EncryptionContext": {"v": "2"}}),
    )
    .await;
    assert_eq!(unb64(&d_old["Plaintext"]), b"old");
    assert_eq!(unb64(&d_new["Plaintext"]), b"new");
    assert_eq!(d_old["KeyMaterialId"], m["CurrentKeyMaterialId"]);
    assert_ne!(d_new["KeyMaterialId"], m["CurrentKeyMaterialId"]);
    let now = ok(&k, "DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(
        now["KeyMetadata"]["CurrentKeyMaterialId"],
        d_new["KeyMaterialId"]
    );
    let mats = materials(&k, id);
    assert_eq!(mats.len(), 2);
    assert_ne!(mats[0], mats[1]);
    let rot = ok(&k, "ListKeyRotations", json!({"KeyId": id})).await;
    assert_eq!(rot["Truncated"], false);
    let rows = rot["Rotations"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["RotationType"], "ON_DEMAND");
    assert_eq!(rows[0]["KeyMaterialState"], "CURRENT");
    assert_eq!(rows[0]["KeyMaterialId"], d_new["KeyMaterialId"]);
    let all = ok(
        &k,
        "ListKeyRotations",
        json!({"KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
    )
    .await;
    assert_eq!(all["Rotations"].as_array().unwrap().len(), 2);
    assert_eq!(all["Rotations"][0]["KeyMaterialState"], "NON_CURRENT");
}

#[tokio::test]
async fn automatic_rotation_happens_when_due() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap().to_string();
    ok(
        &k,
        "EnableKeyRotation",
        json!({"KeyId": id, "RotationPeriodInDays": 90}),
    )
    .await;
    let before = encrypt(&k, &id, b"old", json!({})).await;
    // Move the rotation date into the past, as if 91 days had gone by.
    edit_key(&k, &id, |r| {
        r.next_rotation_ms = Some(crate::clock::now_millis() - 86_400_000)
    })
    .await;
    let after = encrypt(&k, &id, b"new", json!({})).await;
    let d_new = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": after["CiphertextBlob"]}),
    )
    .await;
    assert_ne!(d_new["KeyMaterialId"], m["CurrentKeyMaterialId"]);
    let d_old = ok(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": before["CiphertextBlob"]}),
    )
    .await;
    assert_eq!(unb64(&d_old["Plaintext"]), b"old");
    let rot = ok(&k, "ListKeyRotations", json!({"KeyId": id})).await;
    assert_eq!(rot["Rotations"][0]["RotationType"], "AUTOMATIC");
    let s = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    let next = s["NextRotationDate"].as_f64().unwrap();
    assert!(next > crate::clock::epoch_seconds(crate::clock::now_millis()));
}

// ---- Deletion --------------------------------------------------------------------------

#[tokio::test]
async fn keys_pending_deletion_refuse_cryptography() {
    let k = kms();
    let m = create(&k).await;
    let (id, arn) = (m["KeyId"].as_str().unwrap(), m["Arn"].as_str().unwrap());
    ok(&k, "EnableKeyRotation", json!({"KeyId": id})).await;
    let blob = encrypt(&k, id, b"data", json!({})).await["CiphertextBlob"].clone();
    let s = ok(
        &k,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    )
    .await;
    assert_eq!(s["KeyId"], arn);
    assert_eq!(s["KeyState"], "PendingDeletion");
    assert_eq!(s["PendingWindowInDays"], 7);
    let date = s["DeletionDate"].as_f64().unwrap();
    let now = crate::clock::epoch_seconds(crate::clock::now_millis());
    assert!((date - now - 7.0 * 86400.0).abs() < 60.0);

    let d = ok(&k, "DescribeKey", json!({"KeyId": id})).await["KeyMetadata"].clone();
    assert_eq!(d["KeyState"], "PendingDeletion");
    assert_eq!(d["Enabled"], false);
    assert_eq!(d["DeletionDate"], s["DeletionDate"]);
    assert!(d.get("PendingDeletionWindowInDays").is_none());

    let pending = format!("{arn} is pending deletion.");
    let e = err(&k, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")})).await;
    assert_eq!(e.aws_code(), "KMSInvalidStateException");
    assert_eq!(e.message(), pending);
    let e = err(&k, "Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(e.aws_code(), "KMSInvalidStateException");
    assert_eq!(e.message(), pending);
    let e = err(
        &k,
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_256"}),
    )
    .await;
    assert_eq!(e.message(), pending);
    let e = err(&k, "ScheduleKeyDeletion", json!({"KeyId": id})).await;
    assert_eq!(e.message(), pending);
    let e = err(&k, "EnableKey", json!({"KeyId": id})).await;
    assert_eq!(e.aws_code(), "KMSInvalidStateException");
    let e = err(&k, "TagResource", json!({"KeyId": id, "Tags": []})).await;
    assert_eq!(e.aws_code(), "KMSInvalidStateException");
    // Readable in every state; rotation reads false while pending.
    let r = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(r["KeyRotationEnabled"], false);
    ok(&k, "GetKeyPolicy", json!({"KeyId": id})).await;
    ok(&k, "ListResourceTags", json!({"KeyId": id})).await;

    for bad in [6, 31] {
        let other = create(&k).await;
        let e = err(
            &k,
            "ScheduleKeyDeletion",
            json!({"KeyId": other["KeyId"], "PendingWindowInDays": bad}),
        )
        .await;
        assert_eq!(e.aws_code(), "ValidationException");
        assert_eq!(
            e.message(),
            format!("PendingWindowInDays should be between 7 and 30, but it is {bad}")
        );
    }
    let other = create(&k).await;
    let s = ok(&k, "ScheduleKeyDeletion", json!({"KeyId": other["Arn"]})).await;
    assert_eq!(s["PendingWindowInDays"], 30);
}

#[tokio::test]
async fn cancel_key_deletion_leaves_the_key_disabled() {
    let k = kms();
    let m = create(&k).await;
    let (id, arn) = (m["KeyId"].as_str().unwrap(), m["Arn"].as_str().unwrap());
    ok(&k, "EnableKeyRotation", json!({"KeyId": id})).await;
    let blob = encrypt(&k, id, b"data", json!({})).await["CiphertextBlob"].clone();
    let e = err(&k, "CancelKeyDeletion", json!({"KeyId": id})).await;
    assert_eq!(e.aws_code(), "KMSInvalidStateException");
    ok(
        &k,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    )
    .await;
    let c = ok(&k, "CancelKeyDeletion", json!({"KeyId": id})).await;
    assert_eq!(c, json!({"KeyId": arn}));
    let d = ok(&k, "DescribeKey", json!({"KeyId": id})).await["KeyMetadata"].clone();
    assert_eq!(d["KeyState"], "Disabled");
    assert_eq!(d["Enabled"], false);
    assert!(d.get("DeletionDate").is_none());
    assert_eq!(
        ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await["KeyRotationEnabled"],
        true
    );
    let e = err(&k, "Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(e.aws_code(), "DisabledException");
    ok(&k, "EnableKey", json!({"KeyId": id})).await;
    let p = ok(&k, "Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(unb64(&p["Plaintext"]), b"data");
}

#[tokio::test]
async fn keys_past_their_deletion_date_are_gone_with_their_aliases() {
    let k = kms();
    let m = create(&k).await;
    let id = m["KeyId"].as_str().unwrap().to_string();
    ok(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/doomed", "TargetKeyId": id}),
    )
    .await;
    ok(
        &k,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    )
    .await;
    edit_key(&k, &id, |r| {
        r.deletion_ms = Some(crate::clock::now_millis() - 1)
    })
    .await;
    let e = err(&k, "DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(e.aws_code(), "NotFoundException");
    let e = err(&k, "CancelKeyDeletion", json!({"KeyId": id})).await;
    assert_eq!(e.aws_code(), "NotFoundException");
    let e = err(&k, "DescribeKey", json!({"KeyId": "alias/doomed"})).await;
    assert_eq!(e.aws_code(), "NotFoundException");
    let list = ok(&k, "ListAliases", json!({})).await;
    assert!(list["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["AliasName"] != "alias/doomed"));
    assert_eq!(ok(&k, "ListKeys", json!({})).await["Keys"], json!([]));
    // The next CreateKey purges the record and its alias for good.
    create(&k).await;
    let left = stored(&k);
    assert!(!left
        .iter()
        .any(|(t, key, _)| t == KEYS && key == id.as_bytes()));
    assert!(!left
        .iter()
        .any(|(t, _, v)| t == ALIASES && contains(v, id.as_bytes())));
    // The alias name is free again.
    let n = create(&k).await;
    ok(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/doomed", "TargetKeyId": n["KeyId"]}),
    )
    .await;
}

// ---- The AWS managed key ---------------------------------------------------------------

#[tokio::test]
async fn aws_managed_dynamodb_key() {
    let k = kms();
    let d =
        ok(&k, "DescribeKey", json!({"KeyId": "alias/aws/dynamodb"})).await["KeyMetadata"].clone();
    assert_eq!(d["KeyManager"], "AWS");
    assert_eq!(
        d["Description"],
        "Default key that protects my DynamoDB data when no other key is defined"
    );
    assert_eq!(d["KeyState"], "Enabled");
    let id = d["KeyId"].as_str().unwrap();
    // Created once.
    let again = ok(
        &k,
        "DescribeKey",
        json!({"KeyId": format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/dynamodb")}),
    )
    .await;
    assert_eq!(again["KeyMetadata"]["KeyId"], id);
    assert_eq!(
        k.managed_key_arn(REGION).await.unwrap(),
        d["Arn"].as_str().unwrap()
    );
    let other_region = k.managed_key_arn("eu-west-1").await.unwrap();
    assert!(other_region.starts_with(&format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/")));

    let p = ok(&k, "GetKeyPolicy", json!({"KeyId": id})).await;
    let policy: Json = serde_json::from_str(p["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Id"], "auto-dynamodb-3");
    let s = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(s["KeyRotationEnabled"], true);
    assert_eq!(s["RotationPeriodInDays"], 365);
    let list = ok(&k, "ListAliases", json!({})).await;
    let entry = list["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["AliasName"] == "alias/aws/dynamodb")
        .unwrap()
        .clone();
    assert_eq!(entry["TargetKeyId"], id);

    // Its policy lets only DynamoDB use it, and nobody manage it.
    let e = err(
        &k,
        "Encrypt",
        json!({"KeyId": "alias/aws/dynamodb", "Plaintext": b64(b"x")}),
    )
    .await;
    assert_eq!(e.aws_code(), "AccessDeniedException");
    assert!(e
        .message()
        .contains("is not authorized to perform: kms:Encrypt"));
    for (op, body) in [
        ("ScheduleKeyDeletion", json!({"KeyId": id})),
        ("DisableKey", json!({"KeyId": id})),
        (
            "PutKeyPolicy",
            json!({"KeyId": id, "Policy": "{\"Statement\":[]}"}),
        ),
        ("TagResource", json!({"KeyId": id, "Tags": []})),
        ("EnableKeyRotation", json!({"KeyId": id})),
    ] {
        assert_eq!(
            err(&k, op, body).await.aws_code(),
            "AccessDeniedException",
            "{op}"
        );
    }
    let e = err(
        &k,
        "DeleteAlias",
        json!({"AliasName": "alias/aws/dynamodb"}),
    )
    .await;
    assert_eq!(e.aws_code(), "NotAuthorizedException");
    let body = json!({"KeyId": "alias/aws/dynamodb", "KeySpec": "AES_256", "EncryptionContext": {"t": "orders"}});
    let g = k
        .call_via_service(
            "GenerateDataKey",
            body.to_string().as_bytes(),
            REGION,
            "dynamodb",
        )
        .await
        .unwrap();
    let dbody =
        json!({"CiphertextBlob": g["CiphertextBlob"], "EncryptionContext": {"t": "orders"}});
    let p = k
        .call_via_service("Decrypt", dbody.to_string().as_bytes(), REGION, "dynamodb")
        .await
        .unwrap();
    assert_eq!(p["Plaintext"], g["Plaintext"]);
}

// ---- Terraform's calls -----------------------------------------------------------------

/// aws_kms_key and aws_kms_alias, in the order the provider makes the calls.
#[tokio::test]
async fn terraform_key_and_alias_lifecycle() {
    let k = kms();
    let policy =
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions",
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        "Action": "kms:*", "Resource": "*"}]})
        .to_string();
    let created = ok(
        &k,
        "CreateKey",
        json!({"BypassPolicyLockoutSafetyCheck": false, "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
               "Description": "app table key", "KeyUsage": "ENCRYPT_DECRYPT", "Policy": policy,
               "Tags": [{"TagKey": "Environment", "TagValue": "dev"}]}),
    )
    .await["KeyMetadata"]
        .clone();
    let id = created["KeyId"].as_str().unwrap();
    ok(
        &k,
        "EnableKeyRotation",
        json!({"KeyId": id, "RotationPeriodInDays": 365}),
    )
    .await;
    let described = ok(&k, "DescribeKey", json!({"KeyId": id})).await["KeyMetadata"].clone();
    assert_eq!(described["Description"], "app table key");
    assert_eq!(described["KeyState"], "Enabled");
    assert_eq!(
        ok(
            &k,
            "GetKeyPolicy",
            json!({"KeyId": id, "PolicyName": "default"})
        )
        .await["Policy"],
        policy
    );
    let rot = ok(&k, "GetKeyRotationStatus", json!({"KeyId": id})).await;
    assert_eq!(rot["KeyRotationEnabled"], true);
    assert_eq!(rot["RotationPeriodInDays"], 365);
    assert_eq!(
        ok(&k, "ListResourceTags", json!({"KeyId": id})).await["Tags"],
        json!([{"TagKey": "Environment", "TagValue": "dev"}])
    );
    ok(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/app-dev", "TargetKeyId": id}),
    )
    .await;
    let aliases = ok(&k, "ListAliases", json!({})).await;
    let mine: Vec<&Json> = aliases["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["AliasName"] == "alias/app-dev")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["TargetKeyId"], id);
    // The alias's data source reads the key through the alias.
    assert_eq!(
        ok(&k, "DescribeKey", json!({"KeyId": "alias/app-dev"})).await["KeyMetadata"]["Arn"],
        created["Arn"]
    );
    // Destroy.
    ok(&k, "DeleteAlias", json!({"AliasName": "alias/app-dev"})).await;
    let s = ok(
        &k,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    )
    .await;
    assert_eq!(s["KeyState"], "PendingDeletion");
    let after = ok(&k, "DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(after["KeyMetadata"]["KeyState"], "PendingDeletion");
}

// ---- Secrets, persistence ----------------------------------------------------------------

#[tokio::test]
async fn key_material_is_never_stored_or_returned_unwrapped() {
    let k = kms();
    let mut responses: Vec<String> = Vec::new();
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = ok(&k, "CreateKey", json!({"Description": format!("k{i}")})).await;
        responses.push(m.to_string());
        let id = m["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
        ok(
            &k,
            "CreateAlias",
            json!({"AliasName": format!("alias/k{i}"), "TargetKeyId": id}),
        )
        .await;
        responses.push(
            ok(&k, "RotateKeyOnDemand", json!({"KeyId": id}))
                .await
                .to_string(),
        );
        let c = encrypt(&k, &id, b"plain", json!({"a": "b"})).await;
        responses.push(c.to_string());
        responses.push(
            ok(
                &k,
                "Decrypt",
                json!({"CiphertextBlob": c["CiphertextBlob"], "EncryptionContext": {"a": "b"}}),
            )
            .await
            .to_string(),
        );
        responses.push(
            ok(
                &k,
                "GenerateDataKey",
                json!({"KeyId": id, "KeySpec": "AES_256"}),
            )
            .await
            .to_string(),
        );
        responses.push(
            ok(&k, "DescribeKey", json!({"KeyId": id}))
                .await
                .to_string(),
        );
        responses.push(
            ok(
                &k,
                "ListKeyRotations",
                json!({"KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
            )
            .await
            .to_string(),
        );
        responses.push(
            ok(&k, "GetKeyPolicy", json!({"KeyId": id}))
                .await
                .to_string(),
        );
        ids.push(id);
    }
    responses.push(
        ok(&k, "DescribeKey", json!({"KeyId": "alias/aws/dynamodb"}))
            .await
            .to_string(),
    );
    responses.push(ok(&k, "ListKeys", json!({})).await.to_string());
    responses.push(ok(&k, "ListAliases", json!({})).await.to_string());
    let ddb = k.managed_key_arn(REGION).await.unwrap();
    ids.push(ddb.rsplit('/').next().unwrap().to_string());

    let rows = stored(&k);
    let master = k.master().unwrap().0;
    let mut checked = 0;
    for id in &ids {
        for mat in materials(&k, id) {
            checked += 1;
            let forms: Vec<Vec<u8>> = vec![
                mat.to_vec(),
                mat[..16].to_vec(),
                crate::clock::hex(&mat).into_bytes(),
                b64(&mat).into_bytes(),
                b64(&mat).as_bytes()[..24].to_vec(),
            ];
            assert_ne!(mat, master);
            for (table, key, value) in &rows {
                for f in &forms {
                    assert!(!contains(value, f), "material of {id} stored in {table}");
                    assert!(!contains(key, f), "material of {id} in a key of {table}");
                }
            }
            for r in &responses {
                for f in &forms {
                    assert!(!contains(r.as_bytes(), f), "material of {id} in a response");
                }
            }
        }
    }
    assert_eq!(checked, 3 * 2 + 1);
    // Records carry only wrapped material, and the master key is the only secret in kms.meta.
    let metas: Vec<_> = rows.iter().filter(|(t, _, _)| t == META).collect();
    assert_eq!(metas.len(), 1);
}

#[tokio::test]
async fn keys_survive_a_restart_of_the_service() {
    let store = Store::in_memory().unwrap();
    let k1 = Kms::open(store.clone(), ACCOUNT.into()).unwrap();
    let id = create(&k1).await["KeyId"].as_str().unwrap().to_string();
    let c = encrypt(&k1, &id, b"durable", json!({})).await;
    drop(k1);
    let k2 = Kms::open(store, ACCOUNT.into()).unwrap();
    let d = ok(
        &k2,
        "Decrypt",
        json!({"CiphertextBlob": c["CiphertextBlob"]}),
    )
    .await;
    assert_eq!(unb64(&d["Plaintext"]), b"durable");
}

#[tokio::test]
async fn concurrent_first_keys_share_one_master_key() {
    let store = Store::in_memory().unwrap();
    let k1 = Kms::open(store.clone(), ACCOUNT.into()).unwrap();
    let k2 = Kms::open(store.clone(), ACCOUNT.into()).unwrap();
    let (a, b) = tokio::join!(create(&k1), create(&k2));
    let ca = encrypt(&k1, a["KeyId"].as_str().unwrap(), b"a", json!({})).await;
    let cb = encrypt(&k2, b["KeyId"].as_str().unwrap(), b"b", json!({})).await;
    for k in [&k1, &k2] {
        for (c, p) in [(&ca, b"a"), (&cb, b"b")] {
            let d = ok(k, "Decrypt", json!({"CiphertextBlob": c["CiphertextBlob"]})).await;
            assert_eq!(unb64(&d["Plaintext"]), p);
        }
    }
}

#[test]
fn the_service_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let k = kms();
    send_sync(&k);
    send(k.call("ListKeys", b"{}", REGION));
    send(k.call_via_service("Decrypt", b"{}", REGION, "dynamodb"));
    send(k.managed_key_arn(REGION));
}
