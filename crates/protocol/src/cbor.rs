//! The CBOR (RFC 8949) subset rpcv2Cbor uses: integers, floats (half, single, double), text and
//! byte strings, arrays and maps (definite or indefinite length), tag 1 (epoch-seconds
//! timestamps), booleans, null and undefined. Hand-written: small, and keeps the tree lean.

use crate::tree::V;
use crate::Reply;

pub const CONTENT_TYPE: &str = "application/cbor";

/// rpcv2Cbor responses name their protocol in this header.
pub const SMITHY_PROTOCOL: (&str, &str) = ("smithy-protocol", "rpc-v2-cbor");

/// A request body as a tree (a CBOR map; empty is `{}`); `None` if it is not one.
pub fn decode_tree(body: &[u8]) -> Option<V> {
    match decode(body) {
        Ok(v @ V::Map(_)) => Some(v),
        _ => None,
    }
}

/// An rpcv2Cbor reply; `None` is an operation without an output shape (an empty body).
pub fn respond(status: u16, body: Option<&V>) -> Reply {
    let bytes = body.map(encode).unwrap_or_default();
    Reply::new(status, CONTENT_TYPE, bytes).with_header(SMITHY_PROTOCOL.0, SMITHY_PROTOCOL.1)
}

const MAX_DEPTH: usize = 64;

pub fn decode(bytes: &[u8]) -> Result<V, String> {
    if bytes.is_empty() {
        return Ok(V::map());
    }
    let mut d = Decoder { b: bytes, pos: 0 };
    let v = d.item(0)?;
    if d.pos != bytes.len() {
        return Err("trailing bytes after the CBOR item".into());
    }
    Ok(v)
}

struct Decoder<'a> {
    b: &'a [u8],
    pos: usize,
}

enum Head {
    Arg(u64),
    Indefinite,
}

impl Decoder<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let x = *self.b.get(self.pos).ok_or("truncated CBOR")?;
        self.pos += 1;
        Ok(x)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.pos.checked_add(n).ok_or("CBOR length overflow")?;
        let s = self.b.get(self.pos..end).ok_or("truncated CBOR")?;
        self.pos = end;
        Ok(s)
    }

    fn arg(&mut self, info: u8) -> Result<Head, String> {
        let n = match info {
            0..=23 => return Ok(Head::Arg(info as u64)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Ok(Head::Indefinite),
            _ => return Err(format!("invalid CBOR additional information {info}")),
        };
        let mut x = 0u64;
        for byte in self.take(n)? {
            x = (x << 8) | *byte as u64;
        }
        Ok(Head::Arg(x))
    }

    fn len(&mut self, info: u8) -> Result<Option<usize>, String> {
        match self.arg(info)? {
            Head::Arg(n) => {
                let n = usize::try_from(n).map_err(|_| "CBOR length overflow")?;
                // Every element takes at least one byte: refuse impossible lengths early.
                if n > self.b.len().saturating_sub(self.pos) {
                    return Err("CBOR length beyond the body".into());
                }
                Ok(Some(n))
            }
            Head::Indefinite => Ok(None),
        }
    }

    fn at_break(&mut self) -> bool {
        if self.b.get(self.pos) == Some(&0xff) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn string(&mut self, major: u8, info: u8) -> Result<Vec<u8>, String> {
        match self.len(info)? {
            Some(n) => Ok(self.take(n)?.to_vec()),
            None => {
                let mut out = Vec::new();
                while !self.at_break() {
                    let ib = self.byte()?;
                    if ib >> 5 != major || ib & 0x1f == 31 {
                        return Err("invalid chunk in an indefinite-length CBOR string".into());
                    }
                    let n = self.len(ib & 0x1f)?.unwrap_or(0);
                    out.extend_from_slice(self.take(n)?);
                }
                Ok(out)
            }
        }
    }

    fn item(&mut self, depth: usize) -> Result<V, String> {
        if depth > MAX_DEPTH {
            return Err("CBOR nested too deeply".into());
        }
        let ib = self.byte()?;
        let (major, info) = (ib >> 5, ib & 0x1f);
        match major {
            0 => match self.arg(info)? {
                Head::Arg(n) => Ok(i64::try_from(n).map_or(V::Float(n as f64), V::Int)),
                Head::Indefinite => Err("invalid CBOR integer".into()),
            },
            1 => match self.arg(info)? {
                Head::Arg(n) => {
                    Ok(i64::try_from(n).map_or(V::Float(-1.0 - n as f64), |n| V::Int(-1 - n)))
                }
                Head::Indefinite => Err("invalid CBOR integer".into()),
            },
            2 => {
                let bytes = self.string(2, info)?;
                Ok(V::Str(String::from_utf8_lossy(&bytes).into_owned()))
            }
            3 => {
                let bytes = self.string(3, info)?;
                String::from_utf8(bytes)
                    .map(V::Str)
                    .map_err(|_| "invalid UTF-8 in a CBOR text string".into())
            }
            4 => {
                let mut out = Vec::new();
                match self.len(info)? {
                    Some(n) => {
                        for _ in 0..n {
                            out.push(self.item(depth + 1)?);
                        }
                    }
                    None => {
                        while !self.at_break() {
                            out.push(self.item(depth + 1)?);
                        }
                    }
                }
                Ok(V::List(out))
            }
            5 => {
                let mut out = Vec::new();
                let mut entry = |d: &mut Self| -> Result<(), String> {
                    let k = match d.item(depth + 1)? {
                        V::Str(s) => s,
                        _ => return Err("CBOR map keys must be text".into()),
                    };
                    let v = d.item(depth + 1)?;
                    out.push((k, v));
                    Ok(())
                };
                match self.len(info)? {
                    Some(n) => {
                        for _ in 0..n {
                            entry(self)?;
                        }
                    }
                    None => {
                        while !self.at_break() {
                            entry(self)?;
                        }
                    }
                }
                Ok(V::Map(out))
            }
            6 => {
                let tag = match self.arg(info)? {
                    Head::Arg(t) => t,
                    Head::Indefinite => return Err("invalid CBOR tag".into()),
                };
                let inner = self.item(depth + 1)?;
                if tag == 1 {
                    match inner {
                        V::Int(i) => Ok(V::Ts(i as f64)),
                        V::Float(f) => Ok(V::Ts(f)),
                        _ => Err("CBOR tag 1 must hold a number".into()),
                    }
                } else {
                    Ok(inner)
                }
            }
            _ => match info {
                20 => Ok(V::Bool(false)),
                21 => Ok(V::Bool(true)),
                22 | 23 => Ok(V::Null),
                25 => {
                    let h = self.take(2)?;
                    Ok(V::Float(half(u16::from_be_bytes([h[0], h[1]]))))
                }
                26 => {
                    let s = self.take(4)?;
                    Ok(V::Float(f32::from_be_bytes([s[0], s[1], s[2], s[3]]) as f64))
                }
                27 => {
                    let s = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(s);
                    Ok(V::Float(f64::from_be_bytes(a)))
                }
                _ => Err(format!("unsupported CBOR simple value {info}")),
            },
        }
    }
}

fn half(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let mant = (h & 0x3ff) as f64;
    sign * match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    }
}

pub fn encode(v: &V) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, v);
    out
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.push(m | 24);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn write(out: &mut Vec<u8>, v: &V) {
    match v {
        V::Null => out.push(0xf6),
        V::Bool(false) => out.push(0xf4),
        V::Bool(true) => out.push(0xf5),
        V::Int(i) if *i >= 0 => head(out, 0, *i as u64),
        V::Int(i) => head(out, 1, (-1 - *i) as u64),
        V::Float(f) => {
            out.push(0xfb);
            out.extend_from_slice(&f.to_be_bytes());
        }
        V::Ts(t) => {
            out.push(0xc1);
            out.push(0xfb);
            out.extend_from_slice(&t.to_be_bytes());
        }
        V::Str(s) => {
            head(out, 3, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        V::List(l) => {
            head(out, 4, l.len() as u64);
            for x in l {
                write(out, x);
            }
        }
        V::Map(m) => {
            let live: Vec<_> = m.iter().filter(|(_, x)| *x != V::Null).collect();
            head(out, 5, live.len() as u64);
            for (k, x) in live {
                head(out, 3, k.len() as u64);
                out.extend_from_slice(k.as_bytes());
                write(out, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_other_encoders_forms() {
        let v = V::map()
            .with("A", V::Int(-500))
            .with("B", V::Float(80.0))
            .with("C", V::Ts(1764072000.25))
            .with(
                "D",
                V::List(vec![V::Str("x".into()), V::Bool(true), V::Int(70000)]),
            );
        assert_eq!(decode(&encode(&v)), Ok(v));
        // Indefinite map and text, a half float, tag 1 on an integer.
        let bytes = [
            0xbf, 0x61, b'a', 0x7f, 0x62, b'h', b'i', 0x61, b'!', 0xff, 0x61, b'b', 0xf9, 0x3e,
            0x00, 0x61, b'c', 0xc1, 0x1a, 0x69, 0x25, 0x9a, 0x40, 0xff,
        ];
        assert_eq!(
            decode(&bytes),
            Ok(V::map()
                .with("a", V::Str("hi!".into()))
                .with("b", V::Float(1.5))
                .with("c", V::Ts(1764072000.0)))
        );
        assert!(decode(&[0x62, b'a']).is_err());
        assert!(decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
