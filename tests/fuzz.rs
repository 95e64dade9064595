//! Property tests over everything that reads bytes or text from outside: bundle, receipt,
//! frame, segment, journal and record decoders, the expression parser, the form loader and
//! the XLSForm markdown reader. Arbitrary and mutated inputs must give an error, never a
//! panic, a hang or an acceptance of something altered.
//!
//! `PROPTEST_CASES` sets how many inputs each property tries (CI runs more than the default).

use ed25519_dalek::SigningKey;
use langnghe::codec;
use langnghe::protocol::bundle;
use langnghe::store::{journal, record, sealed, segments};
use proptest::prelude::*;
use std::path::Path;
use uuid::Uuid;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn real_bundle() -> Vec<u8> {
    let items: Vec<(Uuid, Vec<u8>)> = (0..3u8)
        .map(|i| (Uuid::from_bytes([i; 16]), vec![i; 40 + i as usize]))
        .collect();
    bundle::build(
        Uuid::from_bytes([7; 16]),
        5,
        Uuid::from_bytes([9; 16]),
        &items,
        &key(1),
    )
}

/// One change to a byte string: flip bits, overwrite, cut, insert or set a length-like word.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Word(usize, u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (
            any::<usize>(),
            prop_oneof![
                Just(u64::MAX),
                Just(u64::MAX - 100),
                Just(u32::MAX as u64),
                any::<u64>()
            ]
        )
            .prop_map(|(i, w)| Mutation::Word(i, w)),
    ]
}

fn apply(mut b: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        if b.is_empty() {
            break;
        }
        let n = b.len();
        match m {
            Mutation::Flip(i, x) => b[i % n] ^= x,
            Mutation::Set(i, x) => b[i % n] = *x,
            Mutation::Truncate(i) => b.truncate(i % n),
            Mutation::Insert(i, v) => {
                let at = i % n;
                b.splice(at..at, v.iter().copied());
            }
            Mutation::Word(i, w) => {
                let at = i % n;
                let bytes = w.to_le_bytes();
                let end = (at + 8).min(n);
                b[at..end].copy_from_slice(&bytes[..end - at]);
            }
        }
    }
    b
}

proptest! {
    #[test]
    fn no_mutated_bundle_is_ever_accepted(ms in proptest::collection::vec(mutation(), 1..4)) {
        let good = real_bundle();
        let vk = key(1).verifying_key();
        prop_assert!(bundle::verify(&good, &vk).is_ok());
        let bad = apply(good.clone(), &ms);
        let r = bundle::verify(&bad, &vk);
        if bad != good {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_are_no_bundle(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(bundle::verify(&b, &key(1).verifying_key()).is_err());
        let _ = bundle::Header::parse(&b);
    }

    #[test]
    fn no_mutated_receipt_is_ever_accepted(ms in proptest::collection::vec(mutation(), 1..4)) {
        let r = bundle::Receipt {
            hub: Uuid::from_bytes([1; 16]),
            device: Uuid::from_bytes([2; 16]),
            bundle_seq: 3,
            items: vec![(Uuid::from_bytes([4; 16]), bundle::ItemStatus::Accepted)],
        };
        let good = bundle::sign_receipt(&r, &key(2));
        let vk = key(2).verifying_key();
        prop_assert_eq!(bundle::verify_receipt(&good, &vk), Ok(r));
        let bad = apply(good.clone(), &ms);
        if bad != good {
            prop_assert!(bundle::verify_receipt(&bad, &vk).is_err());
        }
    }

    #[test]
    fn frames_never_panic_and_never_pass_altered(ms in proptest::collection::vec(mutation(), 1..4),
                                                  payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let good = codec::frame(&payload);
        let bad = apply(good.clone(), &ms);
        if let codec::Frame::Ok(p, n) = codec::unframe(&bad) {
            // A frame's CRC-32 guards against torn writes and bit rot, not against someone
            // forging it: any burst of up to 32 changed bits is caught, but wider rewrites
            // (8 bytes of 0xFF over checksum and payload) can collide. So: one changed byte
            // never passes; anything that passes is at least a frame consistent with itself.
            let one_byte = matches!(ms.as_slice(), [Mutation::Flip(..) | Mutation::Set(..)]);
            if one_byte {
                prop_assert_eq!(&bad[..n], &good[..]);
                prop_assert_eq!(p, &payload[..]);
            } else {
                let again = codec::frame(p);
                prop_assert_eq!(&bad[..n], &again[..], "a passing frame is exactly the frame of its payload");
            }
        }
    }

    #[test]
    fn record_decoders_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = codec::decode::<langnghe::store::Finalized>(&b);
        let _ = codec::decode::<langnghe::store::Draft>(&b);
        let _ = codec::decode::<langnghe::store::Tombstone>(&b);
        let _ = codec::decode::<journal::Entry>(&b);
        let _ = codec::decode::<bundle::Receipt>(&b);
        let _ = record::decode_index_entry(&b);
        let _ = sealed::parse(&b);
    }

    #[test]
    fn segment_and_journal_files_of_any_shape_are_read_without_panic(
        records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6),
        ms in proptest::collection::vec(mutation(), 0..5),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        for r in &records {
            bytes.extend(codec::frame(r));
        }
        let bytes = apply(bytes, &ms);
        let path = segments::segment_path(tmp.path(), 1);
        std::fs::write(&path, &bytes).unwrap();
        let mut seen = 0usize;
        segments::scan(&path, 0, |r| {
            if r.is_ok() {
                seen += 1;
            }
        })
        .unwrap();
        prop_assert!(seen <= records.len() + 2);
        std::fs::write(tmp.path().join("drafts.journal"), &bytes).unwrap();
        let _ = journal::replay(tmp.path());
    }

    #[test]
    fn expressions_of_any_text_give_a_result_or_an_error(s in "\\PC{0,200}") {
        let _ = langnghe::expr::parse(&s);
    }

    #[test]
    fn expressions_from_token_soup_never_panic(toks in proptest::collection::vec(
        prop_oneof![
            Just("("), Just(")"), Just("${a}"), Just("1"), Just("'x'"), Just("and"),
            Just("or"), Just("-"), Just("+"), Just("*"), Just("div"), Just("="),
            Just("if("), Just(","), Just("count-selected("), Just("."), Just(".."),
            Just("regex(${a}, '[')"), Just("not("), Just("instance('l')/root/item["),
            Just("]"), Just("/"), Just("/label"), Just("${last-saved#a}"),
            Just("indexed-repeat(${a}, ${a},"), Just("regex(., '[\\w-.]')"), Just("["),
        ], 0..400)) {
        let _ = langnghe::expr::parse(&toks.join(" "));
    }
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("forms")
            .join(name),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_forms_load_or_say_why(ms in proptest::collection::vec(mutation(), 1..6)) {
        let src = shipped("child_participation.toml");
        let bad = apply(src.into_bytes(), &ms);
        if let Ok(text) = String::from_utf8(bad) {
            let _ = langnghe::form::build("mutated.toml", &text);
        }
    }

    #[test]
    fn markdown_xlsforms_of_any_shape_convert_or_say_why(
        rows in proptest::collection::vec(proptest::collection::vec(
            prop_oneof![
                Just(""), Just("survey"), Just("choices"), Just("settings"), Just("type"),
                Just("name"), Just("label"), Just("list_name"), Just("text"), Just("integer"),
                Just("select_one l"), Just("begin group"), Just("end group"),
                Just("begin repeat"), Just("end repeat"), Just("q1"), Just("l"),
                Just("relevant"), Just("${q1} > 1"), Just("label::English (en)"), Just("form_id"),
                Just("begin loop over l"), Just("end loop"), Just("select_one l or_other"),
                Just("calculation"), Just("trigger"), Just("default"), Just("${q1}"),
                Just("today()"), Just("${last-saved#q1}"), Just("parameters"),
                Just("randomize=true"), Just("hint"), Just("%(label)s"), Just("\\|"),
            ], 1..8), 0..16)) {
        let md: String = rows.iter().map(|r| format!("| {} |\n", r.join(" | "))).collect();
        let sheets = langnghe::xlsform::read::markdown(&md);
        let c = langnghe::xlsform::convert::convert(&sheets, "fuzz");
        if !c.toml.is_empty()
            && let Ok(form) = langnghe::form::build("fuzz.md", &c.toml)
        {
            // A form that checks must also run: defaults, triggers and calculations fire.
            let now = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00+07:00").unwrap();
            let mut iv = langnghe::interview::Interview::new(std::sync::Arc::new(form), now);
            for _ in 0..20 {
                if let Some(langnghe::interview::Item::Question { node, path }) = iv.current().cloned() {
                    let _ = iv.answer(node, &path, "1");
                }
                if iv.advance().is_err() {
                    break;
                }
            }
        }
    }
}
