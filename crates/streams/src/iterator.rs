//! Shard iterators: opaque to clients, decodable by us. The shape follows AWS's
//! (`<stream arn>|1|<opaque>`); the opaque part is base64 of the shard id, the change-log
//! position to read from, the time the iterator was issued, flags, and a CRC-32 over all of it
//! and the stream ARN, so a damaged or hand-made iterator is refused rather than misread.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

const VERSION: u8 = 1;
/// The iterator came from TRIM_HORIZON and has returned nothing yet: records past the
/// retention period are skipped instead of refused.
const FLAG_TRIM_HORIZON: u8 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardIterator {
    pub stream_arn: String,
    pub shard_id: String,
    /// The first change-log sequence number to read.
    pub position: u64,
    pub issued_ms: u64,
    pub trim_horizon: bool,
}

fn checksum(arn: &str, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(arn.as_bytes());
    h.update(payload);
    h.finalize()
}

impl ShardIterator {
    pub fn encode(&self) -> String {
        let shard = self.shard_id.as_bytes();
        let shard_len = u8::try_from(shard.len()).unwrap_or(u8::MAX);
        let mut p = Vec::with_capacity(24 + shard.len());
        p.push(VERSION);
        p.extend_from_slice(&self.position.to_be_bytes());
        p.extend_from_slice(&self.issued_ms.to_be_bytes());
        p.push(if self.trim_horizon {
            FLAG_TRIM_HORIZON
        } else {
            0
        });
        p.push(shard_len);
        p.extend_from_slice(&shard[..usize::from(shard_len)]);
        let crc = checksum(&self.stream_arn, &p);
        p.extend_from_slice(&crc.to_be_bytes());
        format!("{}|1|{}", self.stream_arn, STANDARD.encode(p))
    }

    /// None for anything that is not an iterator this server issued.
    pub fn decode(s: &str) -> Option<ShardIterator> {
        let (rest, opaque) = s.rsplit_once('|')?;
        let (arn, one) = rest.rsplit_once('|')?;
        if one != "1" {
            return None;
        }
        let p = STANDARD.decode(opaque).ok()?;
        let (body, crc) = p.split_at_checked(p.len().checked_sub(4)?)?;
        if u32::from_be_bytes(crc.try_into().ok()?) != checksum(arn, body) {
            return None;
        }
        let (&version, body) = body.split_first()?;
        if version != VERSION {
            return None;
        }
        let (position, body) = body.split_first_chunk::<8>()?;
        let (issued, body) = body.split_first_chunk::<8>()?;
        let (&flags, body) = body.split_first()?;
        let (&len, shard) = body.split_first()?;
        if shard.len() != usize::from(len) {
            return None;
        }
        Some(ShardIterator {
            stream_arn: arn.to_string(),
            shard_id: String::from_utf8(shard.to_vec()).ok()?,
            position: u64::from_be_bytes(*position),
            issued_ms: u64::from_be_bytes(*issued),
            trim_horizon: flags & FLAG_TRIM_HORIZON != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_and_refuses_tampering() {
        let it = ShardIterator {
            stream_arn:
                "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000"
                    .into(),
            shard_id: "shardId-00000001700000000000-0badcafe".into(),
            position: 42,
            issued_ms: 1_700_000_000_000,
            trim_horizon: true,
        };
        let s = it.encode();
        assert_eq!(ShardIterator::decode(&s), Some(it.clone()));
        let other = s.replacen("table/t/", "table/u/", 1);
        assert_eq!(ShardIterator::decode(&other), None);
        assert_eq!(ShardIterator::decode("garbage"), None);
        assert_eq!(ShardIterator::decode(&format!("{s}x")), None);
    }
}
