//! GenerateDataKey and GenerateDataKeyWithoutPlaintext: a fresh random data key (KeySpec
//! AES_256 / AES_128, or NumberOfBytes), returned encrypted under the KMS key and, for
//! GenerateDataKey, also in plain text.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::clock;
use crate::error::{Constraints, KmsError};
use crate::Operation;

use super::crypt::{dry_run, seal};
use super::{b64, find_key, Call, Context};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Request {
    key_id: Option<String>,
    encryption_context: Option<Context>,
    number_of_bytes: Option<i64>,
    key_spec: Option<String>,
    #[allow(dead_code)]
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

pub(crate) async fn handle(
    c: &Call<'_>,
    req: Request,
    with_plaintext: bool,
) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.range(req.number_of_bytes, "numberOfBytes", 1, 1024);
    cons.one_of(req.key_spec.as_deref(), "keySpec", &["AES_256", "AES_128"]);
    cons.into_result()?;
    let n = match (req.key_spec.as_deref(), req.number_of_bytes) {
        (Some("AES_256"), None) => 32,
        (Some(_), None) => 16,
        (None, Some(n)) => n as usize,
        _ => {
            return Err(KmsError::validation(
                "Please specify either number of bytes or key spec.",
            ))
        }
    };
    let op = if with_plaintext {
        Operation::GenerateDataKey
    } else {
        Operation::GenerateDataKeyWithoutPlaintext
    };
    let key = find_key(c, req.key_id.as_deref().unwrap_or_default(), true).await?;
    let data_key = clock::random_bytes(n)?;
    let context = req.encryption_context.unwrap_or_default();
    let (key, blob, material_id) = seal(c, key, op, &data_key, &context).await?;
    dry_run(req.dry_run)?;
    let mut out = json!({
        "CiphertextBlob": b64(&blob),
        "KeyId": key.arn(),
        "KeyMaterialId": material_id,
    });
    if with_plaintext {
        out["Plaintext"] = b64(&data_key).into();
    }
    Ok(out)
}
