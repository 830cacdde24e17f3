//! The request context: the condition keys a request carries, and policy variables
//! (`${aws:username}`) resolved from it.

use std::collections::BTreeMap;

/// Condition keys and their values. Key names compare without case, as AWS's do; a key may
/// hold several values (`aws:TagKeys`, `dynamodb:Attributes`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    keys: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Context {
        self.keys
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multivalued key (an empty list is a key present with no values).
    pub fn set_all(&mut self, key: &str, values: Vec<String>) -> &mut Context {
        self.keys.insert(key.to_ascii_lowercase(), values);
        self
    }

    /// Adds one value to a multivalued key.
    pub fn add(&mut self, key: &str, value: impl Into<String>) -> &mut Context {
        self.keys
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// Adds `other`'s keys, replacing those present in both.
    pub fn merge(&mut self, other: &Context) {
        for (k, v) in &other.keys {
            self.keys.insert(k.clone(), v.clone());
        }
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// The one value of a key, for policy variables (a multivalued key is no variable).
    pub fn single(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    /// `text` with its policy variables replaced: `${key}` by the key's value, `${key, 'default'}`
    /// by the default when the key is absent, `${$}` by `$`, and `${*}`, `${?}` by markers the
    /// wildcard matcher takes as the literal characters ([`crate::wildcard::literal`] turns them
    /// back). `None` when a variable has no value: the element then matches nothing.
    pub fn substitute(&self, text: &str) -> Option<String> {
        if !text.contains("${") {
            return Some(text.to_string());
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start)?);
            let after = rest.get(start + 2..)?;
            let Some(end) = after.find('}') else {
                out.push_str(rest.get(start..)?);
                return Some(out);
            };
            let inner = after.get(..end)?;
            match inner {
                "*" => out.push(crate::wildcard::LITERAL_STAR),
                "?" => out.push(crate::wildcard::LITERAL_QUESTION),
                "$" => out.push('$'),
                _ => {
                    let (key, default) = match inner.split_once(',') {
                        Some((k, d)) => {
                            let d = d.trim();
                            let d = d
                                .strip_prefix('\'')
                                .and_then(|d| d.strip_suffix('\''))
                                .unwrap_or(d);
                            (k.trim(), Some(d))
                        }
                        None => (inner.trim(), None),
                    };
                    out.push_str(self.single(key).or(default)?);
                }
            }
            rest = after.get(end + 1..)?;
        }
        out.push_str(rest);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables() {
        let mut c = Context::new();
        c.set("aws:username", "alice");
        assert_eq!(
            c.substitute("home/${aws:username}/*").as_deref(),
            Some("home/alice/*")
        );
        assert_eq!(c.substitute("${AWS:UserName}").as_deref(), Some("alice"));
        assert_eq!(c.substitute("${aws:userid}"), None);
        assert_eq!(
            c.substitute("${aws:userid, 'nobody'}").as_deref(),
            Some("nobody")
        );
        assert_eq!(
            c.substitute("a${*}b${?}${$}")
                .map(|s| crate::wildcard::literal(&s))
                .as_deref(),
            Some("a*b?$")
        );
        assert_eq!(c.substitute("plain").as_deref(), Some("plain"));
    }
}
