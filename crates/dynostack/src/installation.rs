//! Facts about this installation that must not change across restarts: the account id that
//! every ARN carries.

use store::{Store, StoreError};

const TABLE: &str = "installation";
const ACCOUNT_ID: &[u8] = b"account_id";

/// The account id, created (12 random digits) on first start and kept in the store.
pub async fn account_id(store: &Store) -> Result<String, StoreError> {
    if let Some(v) = store.read()?.get(TABLE, ACCOUNT_ID)? {
        return Ok(String::from_utf8_lossy(&v).into_owned());
    }
    let fresh = format!("{:012}", dynamodb::ids::random_u64() % 1_000_000_000_000);
    store
        .write(move |ctx| {
            // Another start may have raced us; the first one written wins.
            if let Some(v) = ctx.get(TABLE, ACCOUNT_ID)? {
                return Ok(String::from_utf8_lossy(&v).into_owned());
            }
            ctx.insert(TABLE, ACCOUNT_ID, fresh.as_bytes())?;
            Ok(fresh)
        })
        .await
}
