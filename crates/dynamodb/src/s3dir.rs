//! The local stand-in for S3 that exports and imports use: `s3://BUCKET/KEY` is the file
//! `DIR/BUCKET/KEY` (`--s3-dir DIR`). A bucket exists when its directory does, as a bucket on
//! AWS must exist before an export writes into it.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct S3Dir(PathBuf);

impl S3Dir {
    pub fn new(dir: PathBuf) -> S3Dir {
        S3Dir(dir)
    }

    pub fn root(&self) -> &Path {
        &self.0
    }

    /// The directory of `bucket`, if it exists. Bucket names are S3's (3–63 characters of
    /// lower-case letters, digits, dots and hyphens), so none leaves the root.
    pub fn bucket(&self, bucket: &str) -> Option<PathBuf> {
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && !bucket.starts_with('.')
            && !bucket.contains("..");
        let dir = self.0.join(bucket);
        (valid && dir.is_dir()).then_some(dir)
    }

    /// The file of `key` in `bucket`'s directory; `None` for a key that would leave it.
    pub fn file(bucket_dir: &Path, key: &str) -> Option<PathBuf> {
        let mut path = bucket_dir.to_path_buf();
        for part in key.split('/').filter(|p| !p.is_empty()) {
            if part == "." || part == ".." {
                return None;
            }
            path.push(part);
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_in_their_bucket() {
        let b = Path::new("/s3/bucket");
        assert_eq!(
            S3Dir::file(b, "a/b.json"),
            Some(PathBuf::from("/s3/bucket/a/b.json"))
        );
        assert_eq!(S3Dir::file(b, "a/../../etc"), None);
        let dir = S3Dir::new(PathBuf::from("/nonexistent"));
        assert_eq!(dir.bucket("../x"), None);
        assert_eq!(dir.bucket("Upper"), None);
    }
}
