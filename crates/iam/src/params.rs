//! awsQuery parameters (`RoleName=…`, `Tags.member.1.Key=…`, `TagKeys.member.1=…`) and IAM's
//! input validation, which reports every failed constraint at once in AWS's words:
//! `2 validation errors detected: Value 'x' at 'roleName' failed to satisfy constraint: …; …`.

use crate::error::IamError;

/// The decoded form parameters of one request.
#[derive(Clone, Copy)]
pub struct Params<'a>(pub &'a [(String, String)]);

impl<'a> Params<'a> {
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `{prefix}.member.{n}` values in member order.
    pub fn members(&self, prefix: &str) -> Vec<&'a str> {
        let head = format!("{prefix}.member.");
        let mut found: Vec<(u64, &'a str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&head)?.parse::<u64>().ok()?;
                Some((n, v.as_str()))
            })
            .collect();
        found.sort_by_key(|(n, _)| *n);
        found.into_iter().map(|(_, v)| v).collect()
    }

    /// `{prefix}.member.{n}.Key` / `.Value` pairs in member order.
    pub fn tags(&self, prefix: &str) -> Vec<(Option<&'a str>, Option<&'a str>)> {
        let head = format!("{prefix}.member.");
        let mut found: Vec<(u64, Option<&'a str>, Option<&'a str>)> = Vec::new();
        for (k, v) in self.0 {
            let Some(rest) = k.strip_prefix(&head) else {
                continue;
            };
            let Some((n, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else {
                continue;
            };
            let slot = match found.iter().position(|(m, _, _)| *m == n) {
                Some(i) => i,
                None => {
                    found.push((n, None, None));
                    found.len() - 1
                }
            };
            match field {
                "Key" => found[slot].1 = Some(v.as_str()),
                "Value" => found[slot].2 = Some(v.as_str()),
                _ => {}
            }
        }
        found.sort_by_key(|(n, _, _)| *n);
        found.into_iter().map(|(_, k, v)| (k, v)).collect()
    }
}

/// IAM's name pattern `[\w+=,.@-]+` (role, policy and inline policy names).
pub const NAME_PATTERN: &str = r"[\w+=,.@-]+";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

/// Collects constraint failures, then answers them all as one `ValidationError`.
#[derive(Default)]
pub struct Checks {
    errors: Vec<String>,
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    pub fn fail(&mut self, value: Option<&str>, field: &str, constraint: &str) {
        let shown = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.errors.push(format!(
            "Value {shown} at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// The value, or `""` after recording `Member must not be null`.
    pub fn required<'a>(&mut self, field: &str, value: Option<&'a str>) -> &'a str {
        match value {
            Some(v) => v,
            None => {
                self.fail(None, field, "Member must not be null");
                ""
            }
        }
    }

    /// Length within `min..=max` (in characters); true when it is.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) -> bool {
        let n = value.chars().count();
        if n < min {
            self.fail(
                Some(value),
                field,
                &format!("Member must have length greater than or equal to {min}"),
            );
            false
        } else if n > max {
            self.fail(
                Some(value),
                field,
                &format!("Member must have length less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    fn pattern(&mut self, field: &str, value: &str, ok: bool, pattern: &str) {
        if !ok {
            self.fail(
                Some(value),
                field,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A role or policy name: `[\w+=,.@-]+`, at most `max` characters.
    pub fn name(&mut self, field: &str, value: &str, max: usize) {
        if self.length(field, value, 1, max) {
            self.pattern(field, value, value.chars().all(is_name_char), NAME_PATTERN);
        }
    }

    /// An ARN parameter (PolicyArn, PermissionsBoundary): 20 to 2048 characters.
    pub fn arn(&mut self, field: &str, value: &str) {
        self.length(field, value, 20, 2048);
    }

    /// A policy document: 1 to 131072 characters of `[\u0009\u000A\u000D\u0020-\u00FF]+`.
    pub fn document(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 131_072) {
            let ok = value
                .chars()
                .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'));
            self.pattern(field, value, ok, r"[\u0009\u000A\u000D\u0020-\u00FF]+");
        }
    }

    /// A role or policy description: at most 1000 characters of
    /// `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`.
    pub fn description(&mut self, field: &str, value: &str) {
        if self.length(field, value, 0, 1000) {
            let ok = value.chars().all(
                |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'),
            );
            self.pattern(
                field,
                value,
                ok,
                r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
            );
        }
    }

    /// A `PathPrefix`: `\u002F[\u0021-\u007F]*`, at most 512 characters.
    pub fn path_prefix(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 512) {
            let ok =
                value.starts_with('/') && value.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
            self.pattern(field, value, ok, r"\u002F[\u0021-\u007F]*");
        }
    }

    /// A `Marker` as IAM bounds it.
    pub fn marker(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 320) {
            let ok = value.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c));
            self.pattern(field, value, ok, r"[\u0020-\u00FF]+");
        }
    }

    /// A policy version id: `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
    pub fn version_id(&mut self, field: &str, value: &str) {
        let ok = (|| {
            let rest = value.strip_prefix('v')?;
            let (num, suffix) = match rest.split_once('.') {
                Some((n, s)) => (n, Some(s)),
                None => (rest, None),
            };
            let first = num.chars().next()?;
            let num_ok = ('1'..='9').contains(&first) && num.chars().all(|c| c.is_ascii_digit());
            let suffix_ok =
                suffix.is_none_or(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            Some(num_ok && suffix_ok)
        })()
        .unwrap_or(false);
        self.pattern(field, value, ok, r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?");
    }

    /// An integer parameter within `min..=max`; `None` when absent or refused.
    pub fn integer(&mut self, field: &str, value: Option<&str>, min: i64, max: i64) -> Option<i64> {
        let raw = value?;
        let Ok(n) = raw.trim().parse::<i64>() else {
            self.fail(Some(raw), field, "Member must be a number");
            return None;
        };
        if n < min {
            self.fail(
                Some(raw),
                field,
                &format!("Member must have value greater than or equal to {min}"),
            );
            None
        } else if n > max {
            self.fail(
                Some(raw),
                field,
                &format!("Member must have value less than or equal to {max}"),
            );
            None
        } else {
            Some(n)
        }
    }

    /// A boolean parameter (`true` / `false`); `None` when absent or refused.
    pub fn boolean(&mut self, field: &str, value: Option<&str>) -> Option<bool> {
        let raw = value?;
        if raw.eq_ignore_ascii_case("true") {
            Some(true)
        } else if raw.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            self.fail(Some(raw), field, "Member must be a boolean");
            None
        }
    }

    /// One of the listed values.
    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.fail(
                Some(value),
                field,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// Tag keys and values as IAM bounds them, and at most 50 tags.
    pub fn tags(&mut self, pairs: &[(Option<&str>, Option<&str>)]) -> Vec<(String, String)> {
        if pairs.len() > 50 {
            self.fail(
                Some(&format!("{} tags", pairs.len())),
                "tags",
                "Member must have length less than or equal to 50",
            );
        }
        let mut out = Vec::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            let n = i + 1;
            let key = self.required(&format!("tags.{n}.member.key"), *k);
            let value = self.required(&format!("tags.{n}.member.value"), *v);
            if k.is_some() {
                self.tag_key(&format!("tags.{n}.member.key"), key);
            }
            if v.is_some() && self.length(&format!("tags.{n}.member.value"), value, 0, 256) {
                self.pattern(
                    &format!("tags.{n}.member.value"),
                    value,
                    value.chars().all(is_tag_char),
                    TAG_PATTERN_VALUE,
                );
            }
            out.push((key.to_string(), value.to_string()));
        }
        out
    }

    /// The `TagKeys.member.N` of an Untag* request: required, each a valid tag key.
    pub fn tag_keys(&mut self, p: Params<'_>) -> Vec<String> {
        let keys: Vec<String> = p.members("TagKeys").iter().map(|k| k.to_string()).collect();
        if keys.is_empty() {
            self.fail(None, "tagKeys", "Member must not be null");
        }
        for k in &keys {
            self.tag_key("tagKeys", k);
        }
        keys
    }

    /// A tag key: 1 to 128 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`.
    pub fn tag_key(&mut self, field: &str, key: &str) {
        if self.length(field, key, 1, 128) {
            self.pattern(field, key, key.chars().all(is_tag_char), TAG_PATTERN_KEY);
        }
    }

    pub fn done(self) -> Result<(), IamError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(IamError::validation(format!(
                "1 validation error detected: {}",
                self.errors.join("; ")
            ))),
            n => Err(IamError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

const TAG_PATTERN_KEY: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_PATTERN_VALUE: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || c.is_whitespace()
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// IAM paths: `/` or `/…/` of printable ASCII, at most 512 characters, with IAM's own message.
pub fn check_path(path: &str) -> Result<(), IamError> {
    let mut c = Checks::new();
    if !c.length("path", path, 1, 512) {
        return c.done();
    }
    let ok = path == "/"
        || (path.len() >= 2
            && path.starts_with('/')
            && path.ends_with('/')
            && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)));
    if ok {
        Ok(())
    } else {
        Err(IamError::validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_members_and_tags_in_member_order() {
        let raw = p(&[
            ("TagKeys.member.2", "b"),
            ("TagKeys.member.1", "a"),
            ("Tags.member.2.Key", "k2"),
            ("Tags.member.1.Value", "v1"),
            ("Tags.member.1.Key", "k1"),
            ("Tags.member.2.Value", "v2"),
        ]);
        let params = Params(&raw);
        assert_eq!(params.members("TagKeys"), vec!["a", "b"]);
        assert_eq!(
            params.tags("Tags"),
            vec![(Some("k1"), Some("v1")), (Some("k2"), Some("v2"))]
        );
    }

    #[test]
    fn reports_every_failed_constraint() {
        let mut c = Checks::new();
        c.required("roleName", None);
        c.name("policyName", "bad name", 128);
        let e = c.done().unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            "2 validation errors detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null; Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        );
        let mut c = Checks::new();
        c.arn("policyArn", "aaaaa");
        assert_eq!(
            c.done().unwrap_err().message,
            "1 validation error detected: Value 'aaaaa' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        );
    }

    #[test]
    fn checks_paths_and_versions() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/a/b/").is_ok());
        assert!(check_path("a/").is_err());
        assert!(check_path("/a").is_err());
        let mut c = Checks::new();
        c.version_id("versionId", "v12");
        c.version_id("versionId", "v1.a-b");
        assert!(c.done().is_ok());
        let mut c = Checks::new();
        c.version_id("versionId", "v0");
        assert!(c.done().is_err());
    }
}
