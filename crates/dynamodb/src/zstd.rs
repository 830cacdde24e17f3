//! Zstandard-compressed data files (ImportTable's InputCompressionType ZSTD), read as a stream
//! with `ruzstd`, a decoder in Rust. A file may hold several frames, one after another, as
//! the `zstd` tool and multi-threaded compressors write them, and skippable frames, which
//! hold no data; each frame's content checksum, when it has one, is checked. A frame's window
//! (the memory its decoding needs) is bounded by the decoder's default, 128 MiB, the limit
//! zstd's own decoder applies by default.

use std::io::{self, BufRead, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// Reads the decompressed content of every frame of `input`.
pub struct ZstdReader<R> {
    input: R,
    decoder: FrameDecoder,
    /// A frame is being decoded.
    in_frame: bool,
}

impl<R: BufRead> ZstdReader<R> {
    pub fn new(input: R) -> ZstdReader<R> {
        ZstdReader {
            input,
            decoder: FrameDecoder::new(),
            in_frame: false,
        }
    }

    /// Starts the next frame; false at the end of the input.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.input.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.reset(&mut self.input) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.input).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a skippable zstd frame cut short",
                        ));
                    }
                }
                Err(e) => return Err(io::Error::other(format!("not zstd data: {e}"))),
            }
        }
    }

    /// Checks the ended frame's checksum, when it has one.
    fn check_frame(&self) -> io::Result<()> {
        if let (Some(stored), Some(computed)) = (
            self.decoder.get_checksum_from_data(),
            self.decoder.get_calculated_checksum(),
        ) {
            if stored != computed {
                return Err(io::Error::other(
                    "a zstd frame whose content does not match its checksum",
                ));
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                    self.decoder
                        .decode_blocks(&mut self.input, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(|e| io::Error::other(format!("bad zstd data: {e}")))?;
                }
                let n = self.decoder.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                self.in_frame = false;
                self.check_frame()?;
            }
            if !self.next_frame()? {
                return Ok(0);
            }
            self.in_frame = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf 'hello\n' | zstd -19 --check`: one frame with a checksum.
    const HELLO: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x31, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
        0x53, 0x88, 0xbd, 0x91,
    ];

    fn decompress(data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        ZstdReader::new(io::BufReader::new(data)).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn reads_frames_one_after_another_and_skips_skippable_ones() {
        assert_eq!(decompress(HELLO).ok(), Some(b"hello\n".to_vec()));
        let mut two = HELLO.to_vec();
        // A skippable frame: magic 0x184D2A50, length 3, three bytes.
        two.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        two.extend_from_slice(HELLO);
        assert_eq!(decompress(&two).ok(), Some(b"hello\nhello\n".to_vec()));
        assert_eq!(decompress(&[]).ok(), Some(Vec::new()));
    }

    #[test]
    fn refuses_what_is_not_zstd_or_is_corrupt() {
        assert!(decompress(b"plain text\n").is_err());
        let mut bad = HELLO.to_vec();
        bad[10] ^= 0x01; // the content changes, the checksum does not
        assert!(decompress(&bad).is_err());
        assert!(decompress(&HELLO[..12]).is_err());
    }
}
