//! Large texts stored deflated (an event's payload, an idempotent answer): an item's size is what
//! each write of it costs, in the table and in every index that projects it (docs/scale.md).
//!
//! They are deflated as if [`DICTIONARY`] came before them: what every one of them spells out
//! again (a session's field names, its nulls, an event's envelope) becomes back-references, which
//! takes a typical event payload from about 620 bytes to about 360 and its item under 1 KB.

use std::cell::RefCell;

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
};

use super::errors::StoreError;

/// The most a stored text may inflate to: far above anything this API stores.
const INFLATED_LIMIT: usize = 1 << 20;

/// The first byte of a text deflated against [`DICTIONARY`]: the header of a deflate block of the
/// reserved type 3, which no plain deflate stream (how texts were stored before) starts with.
const PACKED: u8 = 0x07;

/// What the stored texts are made of: an event's envelope and a checkout session as the API
/// writes them, in the order their fields are written, the most frequent last (nearest). Texts
/// stored with it need it, byte for byte, to inflate: a new dictionary takes a new first byte.
const DICTIONARY: &[u8] = br#"{"id":"evt_","type":"checkout.session.expired","createdAt":"2026-01-01T00:00:00.000Z","data":{"object":{"id":"re_","object":"refund","sessionId":"cs_","status":"succeeded","reason":null}}}"checkout.session.created"checkout.session.cancelled"checkout.session.failed"checkout.session.refunded"checkout.session.processing"checkout.session.updated"refund.created"{"type":"about:blank","title":"","status":422,"detail":"","code":"","errors":[{"field":"","code":"","message":""}]}"card","crypto"],"allowedAssets":["ETH","USDC","USDT"],"customer":{"email":"@example.com","name":""},"lineItems":[{"name":"","quantity":1,"unitAmount":"0.00"}],"metadata":{},"payment":{"method":"crypto","asset":"USDC","assetAmount":"","network":"ethereum","depositAddress":"0x","txHash":"0x","confirmations":12,"confirmationsRequired":12},"payment":{"method":"card","brand":"visa","last4":"4242"},"failureCode":"card_declined","locale":"en","collect":null,"customerDetails":null,"customFields":[],"consent":null}}}{"id":"evt_","type":"checkout.session.completed","createdAt":"2026-01-01T00:00:00.000Z","data":{"object":{"id":"cs_","object":"checkout.session","status":"completed","amount":"10.00","currency":"USD","fee":"0.59","netAmount":"9.41","orderId":"order_","reference":"","description":"","customer":null,"lineItems":[],"metadata":{},"paymentMethods":["card"],"allowedAssets":[],"successUrl":"https://","cancelUrl":"https://","webhookUrl":null,"checkoutUrl":"https://","recoveryUrl":null,"recoveredFrom":null,"createdAt":"2026-01-01T00:00:00.000Z","version":1,"updatedAt":"2026-01-01T00:00:00.000Z","expiresAt":"2026-01-01T00:00:00.000Z","processingAt":null,"completedAt":null,"cancelledAt":null,"expiredAt":null,"refundedAt":null,"amountRefunded":"0.00","payment":null,"failedAt":null,"failureCode":null,"locale":null,"collect":null,"customerDetails":null,"customFields":[],"consent":null}}}"#;

thread_local! {
    /// A compressor per thread, reset for each text: a new one allocates some 300 KB that the
    /// kernel then hands over a page at a time, zeroed, which cost more CPU than the deflating.
    static COMPRESSOR: RefCell<Option<Box<CompressorOxide>>> = const { RefCell::new(None) };
}

/// A compressor on the heap. Made in a frame of its own: the struct holds 64 KB inline, which
/// a debug build would otherwise keep on the caller's stack (a test thread's is 2 MB).
#[inline(never)]
fn new_compressor() -> Box<CompressorOxide> {
    Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
        6, 0, 0,
    )))
}

/// `text`, deflated against [`DICTIONARY`].
pub fn deflate(text: &str) -> Vec<u8> {
    COMPRESSOR.with_borrow_mut(|kept| {
        let compressor = kept.get_or_insert_with(new_compressor);
        compressor.reset();
        // The dictionary's own output is dropped: only the window it leaves behind is wanted.
        drain(compressor, DICTIONARY, TDEFLFlush::Sync);
        let mut packed = vec![PACKED];
        packed.extend(drain(compressor, text.as_bytes(), TDEFLFlush::Finish));
        packed
    })
}

/// Everything `compressor` writes for `input` up to `flush`.
fn drain(compressor: &mut CompressorOxide, mut input: &[u8], flush: TDEFLFlush) -> Vec<u8> {
    let mut written = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let (status, read, wrote) = compress(compressor, input, &mut buffer, flush);
        written.extend_from_slice(&buffer[..wrote]);
        input = &input[read..];
        let flushed = input.is_empty() && wrote < buffer.len();
        match status {
            TDEFLStatus::Done => return written,
            TDEFLStatus::Okay if flushed && flush != TDEFLFlush::Finish => return written,
            TDEFLStatus::Okay => {}
            // Cannot happen with a buffer of our own; the text stored is then only the part
            // written, which inflate refuses rather than misreads.
            TDEFLStatus::BadParam | TDEFLStatus::PutBufFailed => return written,
        }
    }
}

/// The text `bytes` were deflated from (with or without the dictionary).
pub fn inflate(bytes: &[u8], what: &str) -> Result<String, StoreError> {
    let unreadable = |why: &str| StoreError::Internal(format!("{what}: {why}"));
    let text = match bytes.split_first() {
        Some((&PACKED, packed)) => {
            // The dictionary as stored blocks, then the text's blocks: inflated together, the
            // text's back-references find the dictionary where deflate saw it.
            let mut stream = stored_blocks(DICTIONARY);
            stream.extend_from_slice(packed);
            let mut whole = decompress(&stream).map_err(|()| unreadable("does not inflate"))?;
            if !whole.starts_with(DICTIONARY) {
                return Err(unreadable("does not inflate"));
            }
            whole.split_off(DICTIONARY.len())
        }
        _ => decompress(bytes).map_err(|()| unreadable("does not inflate"))?,
    };
    String::from_utf8(text).map_err(|_| unreadable("not UTF-8"))
}

fn decompress(stream: &[u8]) -> Result<Vec<u8>, ()> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(stream, INFLATED_LIMIT + DICTIONARY.len())
        .map_err(|_| ())
}

/// `bytes` as non-final deflate blocks of the stored type, ending on a byte boundary.
fn stored_blocks(bytes: &[u8]) -> Vec<u8> {
    let mut blocks = Vec::with_capacity(bytes.len() + 8);
    for chunk in bytes.chunks(usize::from(u16::MAX)) {
        let length = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        blocks.push(0);
        blocks.extend_from_slice(&length.to_le_bytes());
        blocks.extend_from_slice(&(!length).to_le_bytes());
        blocks.extend_from_slice(chunk);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = r#"{"id":"evt_JhfSUgGtIP7rkerBWvcOUfWX","type":"checkout.session.completed","createdAt":"2026-12-08T00:30:57.415Z","data":{"object":{"id":"cs_j54m67UOZagBw4pIIRKUzRJv","object":"checkout.session","status":"completed","amount":"33.90","currency":"USD","fee":"1.28","netAmount":"32.62","orderId":"order-1","reference":"CRT4-X9BV","description":"2 × Yirgacheffe 250 g, shipping","customer":{"email":"jane@example.com","name":"Jane Doe"},"lineItems":[{"name":"Yirgacheffe 250 g","quantity":2,"unitAmount":"14.50"},{"name":"Shipping","quantity":1,"unitAmount":"4.90"}],"metadata":{"cartId":"c_981"},"paymentMethods":["card"],"allowedAssets":[],"successUrl":"https://shop.example/thanks?session={CHECKOUT_SESSION_ID}","cancelUrl":"https://shop.example/cart","webhookUrl":null,"checkoutUrl":"http://127.0.0.1:9000/pay/cs_j54m67UOZagBw4pIIRKUzRJv","recoveryUrl":null,"recoveredFrom":null,"createdAt":"2026-12-08T00:30:57.415Z","version":2,"updatedAt":"2026-12-08T00:30:57.415Z","expiresAt":"2026-12-08T01:00:57.415Z","processingAt":null,"completedAt":"2026-12-08T00:30:57.415Z","cancelledAt":null,"expiredAt":null,"refundedAt":null,"amountRefunded":"0.00","payment":{"method":"card","brand":"visa","last4":"4242"},"failedAt":null,"failureCode":null,"locale":null,"collect":null,"customerDetails":null,"customFields":[],"consent":null}}}"#;

    #[test]
    fn texts_come_back_as_they_went_in_and_far_smaller() {
        let stored = deflate(PAYLOAD);
        let plain = miniz_oxide::deflate::compress_to_vec(PAYLOAD.as_bytes(), 6);
        assert!(
            stored.len() * 3 < plain.len() * 2,
            "{} bytes with the dictionary, {} without",
            stored.len(),
            plain.len()
        );
        assert_eq!(inflate(&stored, "test").ok().as_deref(), Some(PAYLOAD));
        let long = "x".repeat(100_000) + PAYLOAD;
        assert_eq!(inflate(&deflate(&long), "test").ok(), Some(long));
        assert_eq!(inflate(&deflate(""), "test").ok().as_deref(), Some(""));
    }

    #[test]
    fn texts_stored_before_the_dictionary_still_inflate() {
        let stored = miniz_oxide::deflate::compress_to_vec(PAYLOAD.as_bytes(), 6);
        assert_ne!(stored.first(), Some(&PACKED));
        assert_eq!(inflate(&stored, "test").ok().as_deref(), Some(PAYLOAD));
    }

    #[test]
    fn what_did_not_come_from_deflate_is_refused() {
        assert!(inflate(b"not deflated", "test").is_err());
        assert!(inflate(&[PACKED, 1, 2, 3], "test").is_err());
    }
}
