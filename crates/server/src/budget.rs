//! The memory requests take while they are read and decoded, bounded across the server.
//!
//! A body is held whole before it is decoded (17 MiB at most), and decoding builds trees that
//! can weigh fifty times the body: each `{"NULL":true}` of 14 bytes becomes a map of about
//! 700 bytes in serde_json, then an attribute value again in the service. Within AWS's action
//! counts a 16 MB PutItem of such values peaked at 1.8 GB for four at once. So a request
//! reserves what decoding it will take (its body included), estimated in the pass that checks
//! the body is JSON, which builds nothing, before decoding; requests wait for each other's
//! memory, and one estimated above the whole budget is refused unbuilt. Bodies being read
//! reserve nothing: the connection cap, the body limit and the body timeout bound them, and a
//! slow sender holds only what it sent, never the budget others need.

use std::time::Duration;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Bytes a decoded JSON object costs beyond its members: a B-tree node holds eleven.
const OBJECT: u64 = 640;
/// Bytes a member of an object or an element of an array costs, its own value apart.
const MEMBER: u64 = 64;
/// The decoded trees a request's JSON is held in at once: serde_json's, and the service's.
const COPIES: u64 = 2;
/// What a body of the protocols not estimated here (CBOR, forms) may take decoded, per byte:
/// a one-byte CBOR item or a two-byte form pair becomes a tree node or two strings. Their
/// services take small bodies (CloudWatch 1 MB, IAM and STS less); a body over 10 MiB is
/// refused with the default budget.
const OTHER_PER_BYTE: u64 = 48;

pub struct MemoryBudget {
    permits: Semaphore,
    /// The whole budget, in KiB (the semaphore's unit).
    total_kib: u32,
}

/// Why a reservation was not made.
#[derive(Debug)]
pub enum Refused {
    /// More than the whole budget: (bytes needed, budget bytes).
    TooLarge(u64, u64),
    /// Others held the memory for longer than the request may wait.
    Busy,
}

impl MemoryBudget {
    pub fn new(bytes: u64) -> MemoryBudget {
        let total_kib = u32::try_from(bytes / 1024).unwrap_or(u32::MAX).max(1);
        MemoryBudget {
            permits: Semaphore::new(total_kib as usize),
            total_kib,
        }
    }

    /// Reserves `bytes`, waiting at most `within` for others to give memory back; given back
    /// when the permit is dropped.
    pub async fn reserve(
        &self,
        bytes: u64,
        within: Duration,
    ) -> Result<SemaphorePermit<'_>, Refused> {
        let too_large = || Refused::TooLarge(bytes, u64::from(self.total_kib) * 1024);
        let kib = u32::try_from(bytes.div_ceil(1024)).map_err(|_| too_large())?;
        if kib > self.total_kib {
            return Err(too_large());
        }
        // Without a timer when the memory is there, as it nearly always is.
        if let Ok(permit) = self.permits.try_acquire_many(kib) {
            return Ok(permit);
        }
        match tokio::time::timeout(within, self.permits.acquire_many(kib)).await {
            Ok(Ok(permit)) => Ok(permit),
            // Closed never happens (the semaphore is never closed); either way, not now.
            _ => Err(Refused::Busy),
        }
    }
}

/// What decoding `body` (JSON) will take, estimated without building it; `None` if it is not
/// JSON (decoding will say so). Nesting is bounded by serde_json's recursion limit.
pub fn json_cost(body: &[u8]) -> Option<u64> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let tree = Cost.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(body.len() as u64 + COPIES * tree)
}

/// What decoding a body of another protocol may take.
pub fn other_cost(body: &[u8]) -> u64 {
    body.len() as u64 * (1 + OTHER_PER_BYTE)
}

/// A value's decoded size.
struct Cost;

impl<'de> DeserializeSeed<'de> for Cost {
    type Value = u64;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Cost {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0u64;
        while let Some(element) = seq.next_element_seed(Cost)? {
            n = n.saturating_add(MEMBER + element);
        }
        Ok(n)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut n = OBJECT;
        while let Some(key) = map.next_key_seed(Cost)? {
            let value = map.next_value_seed(Cost)?;
            n = n.saturating_add(MEMBER + key + value);
        }
        Ok(n)
    }

    fn visit_str<E>(self, s: &str) -> Result<u64, E> {
        Ok(s.len() as u64)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<u64, E> {
        Ok(s.len() as u64)
    }
    fn visit_string<E>(self, s: String) -> Result<u64, E> {
        Ok(s.len() as u64)
    }
    fn visit_bool<E>(self, _: bool) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_i64<E>(self, _: i64) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_u64<E>(self, _: u64) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_f64<E>(self, _: f64) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_unit<E>(self) -> Result<u64, E> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tiny_objects_cost_far_more_than_their_bytes() {
        let body = format!(r#"{{"l": [{}]}}"#, vec![r#"{"NULL":true}"#; 1000].join(","));
        let cost = json_cost(body.as_bytes()).unwrap();
        assert!(
            cost > 50 * body.len() as u64,
            "{cost} for {} bytes",
            body.len()
        );
        let long = format!(r#"{{"s": "{}"}}"#, "x".repeat(100_000));
        assert!(json_cost(long.as_bytes()).unwrap() < 4 * long.len() as u64);
        assert_eq!(json_cost(b"{\"a\": "), None);
        assert_eq!(json_cost(b"{} {}"), None);
    }

    #[tokio::test]
    async fn reservations_wait_for_each_other_and_refuse_what_never_fits() {
        let budget = MemoryBudget::new(1024 * 1024);
        let first = budget
            .reserve(800 * 1024, Duration::from_secs(1))
            .await
            .unwrap();
        let waited = budget.reserve(400 * 1024, Duration::from_millis(50)).await;
        assert!(matches!(waited, Err(Refused::Busy)));
        drop(first);
        let _second = budget
            .reserve(400 * 1024, Duration::from_millis(50))
            .await
            .unwrap();
        let refused = budget
            .reserve(2 * 1024 * 1024, Duration::from_secs(1))
            .await;
        assert!(matches!(refused, Err(Refused::TooLarge(_, _))));
    }
}
