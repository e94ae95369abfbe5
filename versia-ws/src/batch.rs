//! Batch verification for bursts of messages, rejecting exactly what single verification
//! rejects.
//!
//! `ed25519-dalek`'s batch equation is not strict by itself: it does not refuse a small-order
//! or non-canonically encoded `R`, and it checks a random linear combination of the
//! signatures instead of each one. This module therefore:
//!
//! 1. runs the encoding checks of strict verification on every signature first
//!    ([`Signature::check_canonical`]: `S < ℓ`, canonical `R`, `R` not of small order), so
//!    these are refused with the same error as on the single path; keys were already checked
//!    when parsed (canonical, not small order, no torsion component: [`crate::key`]);
//! 2. checks the remaining signatures with one multi-scalar equation (coefficients derived from
//!    a transcript of all inputs, so the result is deterministic), or two for the mid-sized
//!    groups where that is faster;
//! 3. when that equation fails, splits the batch in halves and repeats, down to single strict
//!    verification for groups of [`SINGLE_BELOW`] or fewer, so every failing message gets the
//!    error single verification gives it and every good message in the burst is still accepted.
//!
//! **What is left.** A batch that passes proves, except with negligible probability, that
//! every signature satisfies the Ed25519 equation up to a torsion component of `R`. Strict
//! single verification also refuses a signature whose `R` carries a torsion component. No
//! honest signer produces one (`R = rB`), and only the holder of the private key can
//! construct one that passes the batch; such a message is authentic, but the batch may accept
//! it where single verification would not. Hosts that must reproduce single-path verdicts
//! bit for bit on hostile signers verify singly.

use crate::key::PublicKey;
use crate::signature::{Signature, VerifyError};

/// Groups this small are verified one by one rather than with the batch equation.
pub const SINGLE_BELOW: usize = 4;

/// Group sizes that are checked as two halves rather than whole. `curve25519-dalek` computes
/// the batch's multi-scalar product (two points per signature) with Straus's method up to 190
/// points and Pippenger's above; measured on x86-64, Straus over 100-190 points costs more
/// per signature than two products of half the size.
const SPLIT_SIZES: std::ops::Range<usize> = 49..96;

/// One signature of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The signer's key.
    pub key: &'a PublicKey,
    /// The signed bytes (for Versia, the signed string).
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Verifies every item; the result for each is what [`PublicKey::verify_bytes`] would return.
pub fn verify_batch(items: &[BatchItem<'_>]) -> Vec<Result<(), VerifyError>> {
    let mut results: Vec<Result<(), VerifyError>> = items
        .iter()
        .map(|item| item.signature.check_canonical())
        .collect();
    let candidates: Vec<usize> = results
        .iter()
        .enumerate()
        .filter_map(|(index, result)| result.is_ok().then_some(index))
        .collect();
    verify_group(items, &candidates, &mut results);
    results
}

fn verify_group(items: &[BatchItem<'_>], group: &[usize], results: &mut [Result<(), VerifyError>]) {
    if group.len() <= SINGLE_BELOW {
        for &index in group {
            if let (Some(item), Some(slot)) = (items.get(index), results.get_mut(index)) {
                *slot = item.key.verify_bytes(item.message, item.signature);
            }
        }
        return;
    }
    if !SPLIT_SIZES.contains(&group.len()) && batch_equation_holds(items, group) {
        return;
    }
    let (left, right) = group.split_at(group.len() / 2);
    verify_group(items, left, results);
    verify_group(items, right, results);
}

/// One multi-scalar check over the whole group.
fn batch_equation_holds(items: &[BatchItem<'_>], group: &[usize]) -> bool {
    let mut messages = Vec::with_capacity(group.len());
    let mut signatures = Vec::with_capacity(group.len());
    let mut keys = Vec::with_capacity(group.len());
    for item in group.iter().filter_map(|&index| items.get(index)) {
        messages.push(item.message);
        signatures.push(item.signature.as_dalek());
        keys.push(*item.key.verifying_key());
    }
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::PrivateKey;
    use crate::signature::SMALL_ORDER_Y;

    #[test]
    fn mixed_batch_matches_single_verdicts() {
        let keys: Vec<PrivateKey> = (0..3u8)
            .map(|i| PrivateKey::from_seed(&[i + 1; 32]))
            .collect();
        let publics: Vec<PublicKey> = keys.iter().map(PrivateKey::public_key).collect();
        let messages: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 40]).collect();
        let mut signatures: Vec<Signature> = messages
            .iter()
            .enumerate()
            .map(|(i, message)| keys[i % 3].sign_bytes(message))
            .collect();
        // Corrupt a few in different ways.
        signatures[3] = keys[1].sign_bytes(b"something else");
        let mut small = signatures[7].to_bytes();
        small[..32].copy_from_slice(&SMALL_ORDER_Y[0]);
        signatures[7] = Signature::from_bytes(small);
        let mut flipped = signatures[12].to_bytes();
        flipped[63] |= 0xf0;
        signatures[12] = Signature::from_bytes(flipped);

        let items: Vec<BatchItem<'_>> = (0..20)
            .map(|i| BatchItem {
                key: &publics[i % 3],
                message: &messages[i],
                signature: &signatures[i],
            })
            .collect();
        let batch = verify_batch(&items);
        for (item, result) in items.iter().zip(&batch) {
            assert_eq!(result, &item.key.verify_bytes(item.message, item.signature));
        }
        assert_eq!(batch.iter().filter(|r| r.is_err()).count(), 3);
    }

    #[test]
    fn empty_and_tiny_batches() {
        assert!(verify_batch(&[]).is_empty());
        let key = PrivateKey::from_seed(&[1; 32]);
        let public = key.public_key();
        let signature = key.sign_bytes(b"m");
        let item = BatchItem {
            key: &public,
            message: b"m",
            signature: &signature,
        };
        assert_eq!(verify_batch(&[item]), vec![Ok(())]);
    }
}
