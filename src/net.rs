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
    /// The answers being read at the same time together passed [`MEMORY_BUDGET`].
    OverBudget,
}

/// What all answers of one process read at the same time may hold together: a handful of
/// answers near their own cap cannot add up to hundreds of MiB.
pub const MEMORY_BUDGET: usize = 192 * 1024 * 1024;
const UNIT: usize = 64 * 1024;
static BUDGET: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MEMORY_BUDGET / UNIT);

/// The error text of [`BodyError::OverBudget`].
pub fn over_budget_words() -> String {
    format!(
        "the answers being read together passed brandlink's memory budget ({}); brandlink stopped reading this one: try again, or with fewer authors at once",
        size_words(MEMORY_BUDGET)
    )
}

/// Reads `resp`'s body, stopping as soon as it passes `max` bytes.
pub async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Bytes, BodyError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge { max });
    }
    let mut body = BytesMut::new();
    // Budget units held while this answer is read (released when the read ends).
    let mut held: Option<tokio::sync::SemaphorePermit<'static>> = None;
    let mut units = 0usize;
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        let len = body.len() + chunk.len();
        if len > max {
            return Err(BodyError::TooLarge { max });
        }
        // Capacity may double as the buffer grows: budget for what it may hold.
        let need = (len.max(body.capacity()) * 2).div_ceil(UNIT);
        if need > units {
            let more = u32::try_from(need - units).map_err(|_| BodyError::OverBudget)?;
            let p = BUDGET
                .try_acquire_many(more)
                .map_err(|_| BodyError::OverBudget)?;
            match &mut held {
                Some(h) => h.merge(p),
                None => held = Some(p),
            }
            units = need;
        }
        body.extend_from_slice(&chunk);
    }
    drop(held);
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
