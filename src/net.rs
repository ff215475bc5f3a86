//! What the AEM and IMS clients share about reading an answer: a size cap enforced while the
//! body streams in, so a runaway or hostile server cannot fill memory before the check.

use bytes::{Bytes, BytesMut};

/// Why an answer's body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// More than `max` bytes (announced by Content-Length, or counted while streaming).
    TooLarge {
        max: usize,
    },
    Transport(reqwest::Error),
}

/// Reads `resp`'s body, stopping as soon as it passes `max` bytes.
pub async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Bytes, BodyError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge { max });
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge { max });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `n` bytes in words ("64 MiB").
pub fn size_words(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}
