//! IAM's `Marker` / `MaxItems` / `IsTruncated` paging over a sorted list. The marker is opaque
//! to clients: the hex of the sort key of the last item returned, so a page is stable when
//! items before or after it come and go.

use crate::error::IamError;
use crate::xml::Xml;

pub const DEFAULT_MAX_ITEMS: usize = 100;

pub struct Page<T> {
    pub items: Vec<T>,
    /// The marker for the next page, when there is one.
    pub marker: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// One page of `items` after `marker` as the XML of a list result: `<{list}>` with each item
/// written by `member`, then `IsTruncated` and `Marker`.
pub fn xml_page<T>(
    items: Vec<(Vec<u8>, T)>,
    marker: Option<&str>,
    max_items: usize,
    list: &str,
    mut member: impl FnMut(&mut Xml, &T),
) -> Result<String, IamError> {
    let pg = page(items, marker, max_items)?;
    let mut x = Xml::new();
    x.open(list);
    for item in &pg.items {
        member(&mut x, item);
    }
    x.close(list).paging(pg.marker.as_deref());
    Ok(x.finish())
}

/// One page of `items` (sorted by their unique keys) after `marker`.
pub fn page<T>(
    mut items: Vec<(Vec<u8>, T)>,
    marker: Option<&str>,
    max_items: usize,
) -> Result<Page<T>, IamError> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match marker {
        None => 0,
        Some(m) => {
            let after = unhex(m).ok_or_else(|| IamError::validation("Invalid Marker."))?;
            items.partition_point(|(k, _)| *k <= after)
        }
    };
    let mut rest = items.into_iter().skip(start);
    let mut out = Vec::new();
    let mut last_key = None;
    for (k, v) in rest.by_ref().take(max_items.max(1)) {
        out.push(v);
        last_key = Some(k);
    }
    let marker = match (rest.next(), last_key) {
        (Some(_), Some(k)) => Some(hex(&k)),
        _ => None,
    };
    Ok(Page { items: out, marker })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_in_key_order() {
        let items: Vec<(Vec<u8>, u32)> = (0..5u32)
            .rev()
            .map(|i| (format!("k{i}").into_bytes(), i))
            .collect();
        let p1 = page(items.clone(), None, 2).unwrap();
        assert_eq!(p1.items, vec![0, 1]);
        let p2 = page(items.clone(), p1.marker.as_deref(), 2).unwrap();
        assert_eq!(p2.items, vec![2, 3]);
        let p3 = page(items.clone(), p2.marker.as_deref(), 2).unwrap();
        assert_eq!(p3.items, vec![4]);
        assert!(p3.marker.is_none());
        let all = page(items.clone(), None, 5).unwrap();
        assert_eq!(all.items.len(), 5);
        assert!(all.marker.is_none());
        assert!(page(items, Some("zz"), 2).is_err());
    }
}
