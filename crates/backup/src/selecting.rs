//! Which resources a backup selection chooses: `Resources` (ARNs, `*` wildcards) or
//! `ListOfTags` (any of them: STRINGEQUALS on a tag), then every `Conditions` entry
//! (StringEquals, StringNotEquals, StringLike, StringNotLike on `aws:ResourceTag/<key>`), minus
//! `NotResources`.

use serde_json::Value;

use crate::protected::Resource;

/// `*` matches any run of characters, as AWS Backup's ARN patterns and StringLike do.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative wildcard match with backtracking to the last star.
    let (mut i, mut j, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while j < t.len() {
        if i < p.len() && p[i] != '*' && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

fn strings(v: &Value, name: &str) -> Vec<String> {
    v.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A list of `{ConditionKey, ConditionValue}` as pairs.
fn pairs(list: Option<&Value>) -> Vec<(String, String)> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some((
                        c.get("ConditionKey")?.as_str()?.to_string(),
                        c.get("ConditionValue")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn tag_of<'a>(r: &'a Resource, key: &str) -> Option<&'a str> {
    let key = key.strip_prefix("aws:ResourceTag/").unwrap_or(key);
    r.tags.get(key).map(String::as_str)
}

/// Whether `selection` (as GetBackupSelection returns it) chooses `resource`.
pub fn chooses(selection: &Value, resource: &Resource) -> bool {
    let patterns = strings(selection, "Resources");
    let tags = pairs(selection.get("ListOfTags"));
    let by_arn = patterns.iter().any(|p| glob(p, &resource.arn));
    let by_tag = tags
        .iter()
        .any(|(k, v)| tag_of(resource, k) == Some(v.as_str()));
    if !(by_arn || by_tag) {
        return false;
    }
    if strings(selection, "NotResources")
        .iter()
        .any(|p| glob(p, &resource.arn))
    {
        return false;
    }
    let Some(conditions) = selection.get("Conditions") else {
        return true;
    };
    let each = |kind: &str| pairs(conditions.get(kind));
    let value = |k: &str| tag_of(resource, k).unwrap_or_default().to_string();
    each("StringEquals").iter().all(|(k, v)| value(k) == *v)
        && each("StringNotEquals").iter().all(|(k, v)| value(k) != *v)
        && each("StringLike").iter().all(|(k, v)| glob(v, &value(k)))
        && each("StringNotLike")
            .iter()
            .all(|(k, v)| !glob(v, &value(k)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(name: &str, tags: &[(&str, &str)]) -> Resource {
        Resource {
            arn: format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}"),
            name: name.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn wildcards_match_any_run() {
        assert!(glob("*", "anything"));
        assert!(glob(
            "arn:aws:dynamodb:*:table/prod-*",
            "arn:aws:dynamodb:us-east-1:1:table/prod-a"
        ));
        assert!(!glob(
            "arn:aws:dynamodb:*:table/prod-*",
            "arn:aws:dynamodb:us-east-1:1:table/dev-a"
        ));
        assert!(glob("*rod*", "prod"));
        assert!(!glob("a", "ab"));
    }

    #[test]
    fn resources_tags_conditions_and_exclusions() {
        let by_arn = json!({"Resources": ["arn:aws:dynamodb:us-east-1:000000000000:table/orders"]});
        assert!(chooses(&by_arn, &table("orders", &[])));
        assert!(!chooses(&by_arn, &table("users", &[])));
        let by_tag = json!({"ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}]});
        assert!(chooses(&by_tag, &table("a", &[("backup", "daily")])));
        assert!(!chooses(&by_tag, &table("a", &[("backup", "weekly")])));
        let conditions = json!({"Resources": ["*"], "NotResources": ["*:table/skip"],
            "Conditions": {"StringLike": [{"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "prod*"}]}});
        assert!(chooses(&conditions, &table("a", &[("env", "production")])));
        assert!(!chooses(&conditions, &table("a", &[("env", "dev")])));
        assert!(!chooses(&conditions, &table("skip", &[("env", "prod")])));
    }
}
