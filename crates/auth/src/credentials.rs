//! The access keys an enforcing server accepts, read from the same INI file the AWS CLI
//! uses (`~/.aws/credentials`), so one file configures both the server and its clients.

use std::collections::HashMap;
use std::fmt;

/// Access key id → secret access key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    secrets: HashMap<String, String>,
}

impl Credentials {
    /// No keys: an enforcing server with this refuses every request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads an AWS CLI credentials file:
    ///
    /// ```ini
    /// [default]
    /// aws_access_key_id = AKIDEXAMPLE
    /// aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
    /// # or ; start a comment line
    /// [profile other]
    /// ...
    /// ```
    ///
    /// Every profile holding both keys contributes one pair; other settings (region,
    /// `aws_session_token`, role settings) and indented sub-settings are ignored. Like the
    /// CLI, only whole-line comments are recognised: a `#` after a value is part of it.
    ///
    /// Errors name the line or profile, and arise for lines that are neither section, setting
    /// nor comment, a setting before any section, a profile with only one of the two keys,
    /// one access key id with two different secrets, or a file with no keys at all (an
    /// enforcing server with no keys would refuse everything, which is never intended).
    pub fn parse(text: &str) -> Result<Credentials, String> {
        let mut credentials = Credentials::new();
        let mut current: Option<Profile> = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            // Indented lines are the nested settings of the config format (`s3 =` followed by
            // `  max_concurrent_requests = 10`); they never hold keys.
            if line.starts_with([' ', '\t']) && current.is_some() {
                continue;
            }
            if let Some(inner) = trimmed.strip_prefix('[') {
                let Some(name) = inner.strip_suffix(']') else {
                    return Err(format!("line {number}: section header without closing ']'"));
                };
                let name = name.trim();
                let name = name.strip_prefix("profile ").map_or(name, str::trim);
                if name.is_empty() {
                    return Err(format!("line {number}: empty profile name"));
                }
                if let Some(done) = current.take() {
                    done.finish(&mut credentials)?;
                }
                current = Some(Profile::named(name));
                continue;
            }
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(format!(
                    "line {number}: expected '[profile]', 'key = value' or a comment"
                ));
            };
            let Some(profile) = current.as_mut() else {
                return Err(format!(
                    "line {number}: setting outside of a [profile] section"
                ));
            };
            let value = value.trim().to_string();
            match key.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" => profile.access_key_id = Some(value),
                "aws_secret_access_key" => profile.secret_access_key = Some(value),
                _ => {}
            }
        }
        if let Some(done) = current.take() {
            done.finish(&mut credentials)?;
        }
        if credentials.is_empty() {
            return Err("no profile with both aws_access_key_id and aws_secret_access_key".into());
        }
        Ok(credentials)
    }

    /// Adds or replaces one key.
    pub fn insert(&mut self, access_key_id: String, secret_access_key: String) {
        self.secrets.insert(access_key_id, secret_access_key);
    }

    /// The secret for an access key id.
    pub fn secret(&self, access_key_id: &str) -> Option<&str> {
        self.secrets.get(access_key_id).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The known access key ids, sorted (for start-up logs; secrets are never listed).
    pub fn access_key_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.secrets.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }
}

/// Secrets stay out of logs: debug output lists only the access key ids.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_ids", &self.access_key_ids())
            .finish_non_exhaustive()
    }
}

struct Profile {
    name: String,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
}

impl Profile {
    fn named(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            access_key_id: None,
            secret_access_key: None,
        }
    }

    fn finish(self, into: &mut Credentials) -> Result<(), String> {
        let name = self.name;
        match (self.access_key_id, self.secret_access_key) {
            (Some(id), Some(secret)) => {
                if id.is_empty() || secret.is_empty() {
                    return Err(format!("profile '{name}': empty access key id or secret"));
                }
                if into.secret(&id).is_some_and(|known| known != secret) {
                    return Err(format!(
                        "profile '{name}': access key id {id} is already defined with a \
                         different secret"
                    ));
                }
                into.insert(id, secret);
                Ok(())
            }
            (Some(_), None) => Err(format!(
                "profile '{name}': aws_access_key_id without aws_secret_access_key"
            )),
            (None, Some(_)) => Err(format!(
                "profile '{name}': aws_secret_access_key without aws_access_key_id"
            )),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cli_credentials_file() {
        let text = "\
# written by aws configure
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
region = us-east-1

; a second profile
[profile ci]
AWS_ACCESS_KEY_ID=AKIDCI
aws_secret_access_key=ci=secret=with=equals
aws_session_token = ignored
s3 =
    max_concurrent_requests = 10

[region-only]
region = eu-west-1
";
        let creds = Credentials::parse(text).unwrap();
        assert_eq!(creds.len(), 2);
        assert_eq!(
            creds.secret("AKIDEXAMPLE"),
            Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        );
        assert_eq!(creds.secret("AKIDCI"), Some("ci=secret=with=equals"));
        assert_eq!(creds.secret("nobody"), None);
        assert_eq!(creds.access_key_ids(), vec!["AKIDCI", "AKIDEXAMPLE"]);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut creds = Credentials::new();
        creds.insert("AKID".into(), "very-secret".into());
        let shown = format!("{creds:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("very-secret"));
    }

    #[test]
    fn explains_what_is_wrong() {
        for (text, expected) in [
            (
                "aws_access_key_id = A\n",
                "line 1: setting outside of a [profile] section",
            ),
            ("[default\n", "line 1: section header without closing ']'"),
            ("[ ]\n", "line 1: empty profile name"),
            (
                "[a]\njust words\n",
                "line 2: expected '[profile]', 'key = value' or a comment",
            ),
            (
                "[a]\naws_access_key_id = A\n",
                "profile 'a': aws_access_key_id without aws_secret_access_key",
            ),
            (
                "[a]\naws_secret_access_key = S\n[b]\n",
                "profile 'a': aws_secret_access_key without aws_access_key_id",
            ),
            (
                "[a]\naws_access_key_id=A\naws_secret_access_key=S\n\
                 [b]\naws_access_key_id=A\naws_secret_access_key=T\n",
                "profile 'b': access key id A is already defined with a different secret",
            ),
            (
                "# nothing\n",
                "no profile with both aws_access_key_id and aws_secret_access_key",
            ),
        ] {
            assert_eq!(Credentials::parse(text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn insert_replaces() {
        let mut creds = Credentials::new();
        assert!(creds.is_empty());
        creds.insert("A".into(), "1".into());
        creds.insert("A".into(), "2".into());
        assert_eq!(creds.secret("A"), Some("2"));
    }
}
