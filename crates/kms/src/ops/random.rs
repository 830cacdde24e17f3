//! GenerateRandom: bytes from the operating system's generator.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::clock;
use crate::error::{Constraints, KmsError};

use super::b64;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Request {
    number_of_bytes: Option<i64>,
}

pub(crate) fn handle(req: Request) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.range(req.number_of_bytes, "numberOfBytes", 1, 1024);
    cons.into_result()?;
    let Some(n) = req.number_of_bytes else {
        return Err(KmsError::validation("NumberOfBytes is required."));
    };
    Ok(json!({ "Plaintext": b64(&clock::random_bytes(n as usize)?) }))
}
