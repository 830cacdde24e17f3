//! The wildcards of policy elements: `*` matches any run of characters (none too), `?` exactly
//! one. Actions compare without case, resources and ARNs with it.

/// A literal `*` in a pattern: what the policy variable `${*}` stands for.
pub const LITERAL_STAR: char = '\u{E000}';
/// A literal `?` in a pattern (`${?}`).
pub const LITERAL_QUESTION: char = '\u{E001}';

/// `pattern` with its literal markers turned back into the characters, for exact comparison.
pub fn literal(pattern: &str) -> String {
    pattern
        .replace(LITERAL_STAR, "*")
        .replace(LITERAL_QUESTION, "?")
}

/// Whether `text` matches `pattern`. Greedy with one backtrack point, so linear in practice and
/// O(len(text) × len(pattern)) at worst, with no recursion.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        let a = match a {
            LITERAL_STAR => '*',
            LITERAL_QUESTION => '?',
            a => a,
        };
        a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()))
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    // The last `*` seen, and the text position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some('*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(&pc), Some(&tc)) if pc == '?' || same(pc, tc) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// ARN matching as `ArnLike` and the `Resource` element do it: the six colon-separated parts
/// compared one by one (the resource part keeps its colons), case-sensitively. A `*` that ends
/// a pattern of fewer parts expands beyond the colons (IAM User Guide, "Resource": "If the *
/// wildcard is the last character of a resource ARN segment, it can expand to match beyond the
/// colon boundaries").
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if a.len() != 6 {
        return false;
    }
    if p.len() == 6 {
        return p.iter().zip(&a).all(|(p, a)| matches(p, a, false));
    }
    let Some((last, first)) = p.split_last() else {
        return false;
    };
    if !last.ends_with('*') {
        return false;
    }
    let rest = a
        .get(first.len()..)
        .map(|r| r.join(":"))
        .unwrap_or_default();
    first.iter().zip(&a).all(|(p, a)| matches(p, a, false)) && matches(last, &rest, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", "", false));
        assert!(matches("dynamodb:*", "dynamodb:GetItem", false));
        assert!(matches("dynamodb:Get*", "dynamodb:GetItem", false));
        assert!(!matches("dynamodb:Get*", "dynamodb:PutItem", false));
        assert!(matches("a?c", "abc", false));
        assert!(!matches("a?c", "ac", false));
        assert!(matches("*b*b*", "abxxbyy", false));
        assert!(!matches("*b*b*", "abxx", false));
        assert!(matches("DynamoDB:getitem", "dynamodb:GetItem", true));
        assert!(!matches("DynamoDB:getitem", "dynamodb:GetItem", false));
        assert!(matches("table/myapp-*", "table/myapp-users/index/x", false));
    }

    #[test]
    fn arns_part_by_part() {
        let t = "arn:aws:dynamodb:us-east-1:123456789012:table/myapp-users";
        assert!(arn_matches("arn:aws:dynamodb:*:*:table/myapp-*", t));
        assert!(arn_matches("*", t));
        assert!(!arn_matches("arn:aws:dynamodb:*:*:table/other", t));
        assert!(arn_matches(
            "arn:aws:dynamodb:*:*:table/myapp-*/index/*",
            "arn:aws:dynamodb:us-east-1:123456789012:table/myapp-users/index/byEmail"
        ));
        // A star ending a shorter pattern spans the remaining parts; anything else does not.
        assert!(arn_matches("arn:aws:dynamodb:us-east-1:*", t));
        assert!(!arn_matches("arn:aws:dynamodb:*:table/x", t));
        assert!(!matches(&LITERAL_STAR.to_string(), "x", false));
        assert!(matches(&LITERAL_STAR.to_string(), "*", false));
    }
}
