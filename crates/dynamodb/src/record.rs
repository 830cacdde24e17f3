//! The stored form of an item: a form byte, then the item in `item::packed` form (or, for items
//! written by earlier builds, AWS's JSON form).

use item::Item;
use store::StoreError;

/// The byte in front of every stored item says its encoding, so items written before the
/// packed form stay readable without a migration: 1 is AWS's JSON form (written until format
/// 2 of the store), 2 is `item::packed`.
const ITEM_JSON: u8 = 1;
const ITEM_PACKED: u8 = 2;

pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(ITEM_PACKED);
    item::packed::pack_item(item, &mut out);
    out
}

pub fn decode_item(bytes: &[u8]) -> Result<Item, StoreError> {
    match bytes.split_first() {
        Some((&ITEM_PACKED, rest)) => item::packed::unpack_item(rest).map_err(StoreError::Corrupt),
        Some((&ITEM_JSON, rest)) => {
            let v: serde_json::Value =
                serde_json::from_slice(rest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            item::json::item_from_json(&v).map_err(StoreError::Corrupt)
        }
        _ => Err(StoreError::Corrupt("unknown item format".into())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn items_stored_in_the_json_form_still_decode() {
        let wire = serde_json::json!({"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AQI="}});
        let item = item::json::item_from_json(&wire).unwrap();
        let mut old_form = vec![ITEM_JSON];
        old_form.extend(serde_json::to_vec(&wire).unwrap());
        assert_eq!(decode_item(&old_form).unwrap(), item);
        let new_form = encode_item(&item);
        assert_eq!(new_form.first(), Some(&ITEM_PACKED));
        assert_eq!(decode_item(&new_form).unwrap(), item);
        assert!(decode_item(&[9, 0]).is_err());
    }
}
