//! Encryption at rest: the store key and the ciphers derived from it.
//!
//! Everything the store writes to disk is encrypted under one 256-bit *store key*, itself kept
//! only wrapped under the installation's master key (`custody`). Each use has its own key,
//! derived with HKDF-SHA256 under a label, so that no key serves two purposes:
//! - the database file's pages: AES-256-XTS in 512-byte units, the unit's number as tweak.
//!   Disk encryption's mode: length-preserving, so redb's page layout is unchanged, and any
//!   unit can be read or rewritten alone. It gives confidentiality, not integrity: a changed
//!   page decrypts to garbage and an old page put back goes unnoticed (as with dm-crypt);
//! - the write-ahead log's frames and backup files: AES-256-GCM, sealed and authenticated,
//!   each with a nonce never used twice under its key (see their callers).
//!
//! Why a store key under a master key, not the master key itself: rotating the master key
//! then rewraps 32 bytes instead of rewriting the data, and the master key can live outside
//! the data directory (`--master-key-file`) while the data stays where it is.

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::{Aes256, Block};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::StoreError;

/// The unit of the database file's encryption: every access redb makes is a multiple of its
/// 4 KiB pages but its header's (320 bytes at offset 0), which fits in one unit.
pub(crate) const UNIT: usize = 512;

/// A 256-bit secret.
#[derive(Clone)]
pub struct Secret(pub(crate) [u8; 32]);

impl Secret {
    pub fn random() -> Result<Secret, StoreError> {
        let mut k = [0u8; 32];
        getrandom::getrandom(&mut k)
            .map_err(|e| StoreError::io(format!("no randomness for a key: {e}")))?;
        Ok(Secret(k))
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Secret> {
        bytes.try_into().ok().map(Secret)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key for one use, derived under `label`.
    fn derive<const N: usize>(&self, label: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        // HKDF-SHA256 yields up to 255 × 32 bytes; N is at most 64 here.
        if Hkdf::<Sha256>::new(None, &self.0)
            .expand(label, &mut out)
            .is_err()
        {
            out = [0u8; N];
        }
        out
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The key every file of one data directory is encrypted under.
#[derive(Clone, Debug)]
pub struct StoreKey(pub(crate) Secret);

impl StoreKey {
    pub(crate) fn pages(&self) -> PageCipher {
        let k: [u8; 64] = self.0.derive(b"dynostack pages xts v1");
        let (a, b) = k.split_at(32);
        // Both halves are 32 bytes: new_from_slice cannot fail.
        let cipher = |half: &[u8]| Aes256::new_from_slice(half).ok();
        match (cipher(a), cipher(b)) {
            (Some(a), Some(b)) => PageCipher(Some(Box::new((a, b)))),
            _ => PageCipher(None),
        }
    }

    /// The log's key for one opening of the log, told apart by its random `salt`.
    pub(crate) fn log(&self, salt: &[u8]) -> Sealer {
        let root = Secret(self.0.derive(b"dynostack log root v1"));
        let mut label = b"dynostack log v1 ".to_vec();
        label.extend_from_slice(salt);
        Sealer::new(root.derive(&label))
    }

    /// The key that wraps store keys under a master key (this key being the master).
    pub(crate) fn wrapping(&self) -> Sealer {
        Sealer::new(self.0.derive(b"dynostack master wrap v1"))
    }

    /// The data key of a table encrypted under the installation's own key (`data_keys`).
    pub(crate) fn installation_data_key(&self, number: u64) -> [u8; 32] {
        let mut label = b"dynostack installation data key v1 ".to_vec();
        label.extend_from_slice(&number.to_le_bytes());
        self.0.derive(&label)
    }

    /// The key of one backup file, told apart by the random `salt` its header carries.
    pub fn archive(&self, salt: &[u8]) -> Sealer {
        let root = Secret(self.0.derive(b"dynostack archive root v1"));
        let mut label = b"dynostack archive v1 ".to_vec();
        label.extend_from_slice(salt);
        Sealer::new(root.derive(&label))
    }
}

/// AES-256-XTS over the database file, by 512-byte unit (IEEE 1619: the unit's number, little
/// endian, encrypted under the second key is the first block's tweak; each next tweak is the
/// last times x in GF(2^128)).
///
/// By hand rather than with the `xts-mode` crate, which gives the cipher one block at a time:
/// here a unit's 32 blocks go to AES together, which AES-NI pipelines, and the tweaks are
/// computed apart. A 4 KiB page read from the file costs a third of the time, which is most of
/// what the page layer costs a GetItem of a table larger than redb's cache (docs/performance.md).
/// The output is the crate's, bit for bit: the tests compare them.
pub(crate) struct PageCipher(Option<Box<(Aes256, Aes256)>>);

/// AES blocks in a unit.
const UNIT_BLOCKS: usize = UNIT / 16;

impl std::fmt::Debug for PageCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageCipher(…)")
    }
}

impl PageCipher {
    /// Encrypts `area`, which starts at byte `offset` of the file; both are whole units.
    pub(crate) fn encrypt(&self, area: &mut [u8], offset: u64) -> Result<(), std::io::Error> {
        self.apply(area, offset, |k, blocks| k.encrypt_blocks(blocks))
    }

    pub(crate) fn decrypt(&self, area: &mut [u8], offset: u64) -> Result<(), std::io::Error> {
        self.apply(area, offset, |k, blocks| k.decrypt_blocks(blocks))
    }

    fn apply(
        &self,
        area: &mut [u8],
        offset: u64,
        cipher: impl Fn(&Aes256, &mut [Block]),
    ) -> Result<(), std::io::Error> {
        let keys = self.0.as_ref().ok_or_else(no_cipher)?;
        check_units(area, offset)?;
        let first = offset / UNIT as u64;
        let mut blocks = [Block::default(); UNIT_BLOCKS];
        let mut tweaks = [0u128; UNIT_BLOCKS];
        for (i, unit) in area.chunks_exact_mut(UNIT).enumerate() {
            let mut tweak = Block::from((u128::from(first) + i as u128).to_le_bytes());
            keys.1.encrypt_block(&mut tweak);
            let mut t = u128::from_le_bytes(tweak.into());
            for (j, (block, bytes)) in blocks.iter_mut().zip(unit.chunks_exact(16)).enumerate() {
                tweaks[j] = t;
                let plain = u128::from_le_bytes(bytes.try_into().unwrap_or_default());
                *block = Block::from((plain ^ t).to_le_bytes());
                // Times x: shift, and fold the carry back with x^128 = x^7 + x^2 + x + 1.
                t = (t << 1) ^ if t >> 127 != 0 { 0x87 } else { 0 };
            }
            cipher(&keys.0, &mut blocks);
            for ((block, bytes), t) in blocks.iter().zip(unit.chunks_exact_mut(16)).zip(tweaks) {
                let out = u128::from_le_bytes((*block).into()) ^ t;
                bytes.copy_from_slice(&out.to_le_bytes());
            }
        }
        Ok(())
    }
}

fn no_cipher() -> std::io::Error {
    std::io::Error::other("the page cipher could not be keyed")
}

fn check_units(area: &[u8], offset: u64) -> Result<(), std::io::Error> {
    if !area.len().is_multiple_of(UNIT) || !offset.is_multiple_of(UNIT as u64) {
        return Err(std::io::Error::other(format!(
            "an encrypted access of {} bytes at {offset} is not whole 512-byte units",
            area.len()
        )));
    }
    Ok(())
}

/// AES-256-GCM under one derived key. The caller owns nonce uniqueness.
pub struct Sealer(Option<Aes256Gcm>);

/// The bytes AES-GCM adds: its 16-byte tag.
pub const TAG_BYTES: usize = 16;

impl Sealer {
    pub(crate) fn new(key: [u8; 32]) -> Sealer {
        Sealer(Aes256Gcm::new_from_slice(&key).ok())
    }

    /// `plain` encrypted and tagged, bound to `aad`.
    pub fn seal(&self, nonce: &[u8; 12], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let gcm = self
            .0
            .as_ref()
            .ok_or_else(|| StoreError::io("the sealing key could not be made"))?;
        gcm.encrypt(Nonce::from_slice(nonce), Payload { msg: plain, aad })
            .map_err(|_| StoreError::io("sealing failed"))
    }

    /// The plaintext of `sealed`, or `None` if it was not sealed under this key, nonce and
    /// `aad` (damaged, or another key's).
    pub fn open(&self, nonce: &[u8; 12], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.0
            .as_ref()?
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_the_xts_crates_bit_for_bit() {
        let key = StoreKey(Secret::random().unwrap());
        let k: [u8; 64] = key.0.derive(b"dynostack pages xts v1");
        let oracle = xts_mode::Xts128::new(
            Aes256::new_from_slice(&k[..32]).unwrap(),
            Aes256::new_from_slice(&k[32..]).unwrap(),
        );
        let mut plain = vec![0u8; 8192];
        getrandom::getrandom(&mut plain).unwrap();
        for offset in [0u64, 512, 4096, 1 << 40] {
            let (mut ours, mut theirs) = (plain.clone(), plain.clone());
            key.pages().encrypt(&mut ours, offset).unwrap();
            oracle.encrypt_area(
                &mut theirs,
                UNIT,
                u128::from(offset) / 512,
                xts_mode::get_tweak_default,
            );
            assert_eq!(ours, theirs, "at {offset}");
            key.pages().decrypt(&mut ours, offset).unwrap();
            assert_eq!(ours, plain);
        }
    }

    #[test]
    fn pages_round_trip_and_depend_on_their_place() {
        let key = StoreKey(Secret::random().unwrap());
        let c = key.pages();
        let plain = vec![7u8; 4096];
        let mut a = plain.clone();
        c.encrypt(&mut a, 8192).unwrap();
        assert_ne!(a, plain);
        let mut b = plain.clone();
        c.encrypt(&mut b, 4096).unwrap();
        assert_ne!(a, b, "the same page elsewhere encrypts differently");
        c.decrypt(&mut a, 8192).unwrap();
        assert_eq!(a, plain);
        assert!(c.encrypt(&mut [0u8; 100], 0).is_err());
    }

    #[test]
    fn sealed_bytes_open_only_with_their_key_nonce_and_aad() {
        let key = StoreKey(Secret::random().unwrap());
        let s = key.log(b"salt");
        let sealed = s.seal(&[1; 12], b"ctx", b"secret value").unwrap();
        assert_eq!(s.open(&[1; 12], b"ctx", &sealed).unwrap(), b"secret value");
        assert!(s.open(&[2; 12], b"ctx", &sealed).is_none());
        assert!(s.open(&[1; 12], b"other", &sealed).is_none());
        let other = StoreKey(Secret::random().unwrap()).log(b"salt");
        assert!(other.open(&[1; 12], b"ctx", &sealed).is_none());
        assert!(key.archive(b"a").open(&[1; 12], b"ctx", &sealed).is_none());
    }
}
