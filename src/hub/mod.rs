//! The hub: receives bundles from devices, stores each interview once, signs receipts,
//! hands out forms, exports what it holds.
//!
//! A hub folder:
//! ```text
//! hub.toml      hub id, recipients (its own + an optional escrow key), limits
//! hub.age       the hub's age identity (secret, 0600): opens sealed interviews
//! hub.sign      the hub's ed25519 key (secret, 0600): signs receipts
//! admin.token   the secret admin calls need (0600, made on first use)
//! devices/      one file per enrolled device (id, name, public key, token hash, revoked)
//! tokens/       one-time enrolment tokens, by hash (editable while the hub serves)
//! db/           sled: interviews (still sealed), conflicts
//! bundles/      every accepted bundle as received, fsync'd before the receipt goes out
//! forms/        form files handed to devices on sync
//! ```

pub mod erase;
pub mod error;
pub mod open;
mod parallel;
mod pg;
pub mod quality;
pub mod recovery;
pub mod referrals;
pub mod registry;
pub mod report;
pub mod returns;
pub mod review;
pub mod server;
mod shred;
pub mod store;
mod tallies;
pub mod transfer;

use crate::protocol::bundle::{self, ItemStatus, Receipt};
use crate::protocol::keys;
use crate::store::Finalized;
use age::secrecy::ExposeSecret;
use ed25519_dalek::SigningKey;
pub use error::HubError;
use registry::Registry;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{Device, HubStore, Item, SledHub};
use uuid::Uuid;

pub use crate::protocol::MAX_BUNDLE;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubConfig {
    pub hub_id: Uuid,
    /// Sealing recipients given to devices: the hub's own first, then any escrow keys.
    pub recipients: Vec<String>,
    #[serde(default = "default_max")]
    pub max_bundle_bytes: usize,
    /// `[review]`: which question names the place an interview was taken.
    #[serde(default)]
    pub review: review::Settings,
    /// `[quality]`: the thresholds of the quality flags.
    #[serde(default)]
    pub quality: quality::Thresholds,
    /// Take practice interviews (training mode, simulated) for a training hub. A production
    /// hub (the default) answers them `Refused` and keeps nothing of them.
    #[serde(default)]
    pub accept_training: bool,
    /// Interviews on PostgreSQL (`postgres://user:password@host/db`) instead of the
    /// embedded store in `db/`: for a province's or the country's hub (`hub init --database`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// The PostgreSQL address in the hub's `hub.toml`, if its interviews are kept there.
pub(crate) fn database_of(dir: &Path) -> Result<Option<String>, String> {
    let path = dir.join("hub.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let config: HubConfig = toml::from_str(&text).map_err(|e| format!("hub.toml: {e}"))?;
    Ok(config.database)
}

fn default_max() -> usize {
    MAX_BUNDLE
}

pub struct Hub {
    pub dir: PathBuf,
    pub config: HubConfig,
    pub store: Box<dyn HubStore>,
    pub registry: Registry,
    identity: crate::protocol::opener::Opener,
    signer: SigningKey,
    /// The signed form list and sources, with the folder listing they were built from: every
    /// device's sync asks for the list (without a token), so forms are parsed again only when
    /// a file in `forms/` was added, removed or changed.
    published: std::sync::Mutex<Option<(FormsListing, Arc<Published>)>>,
    /// Each stored item's own key (see `shred.rs`).
    keys: shred::ItemKeys,
    /// The hub's PostgreSQL database, when it has one (see `pg/`).
    db: Option<pg::Db>,
    /// The indicator sets with their forms, parsed again only when `forms/` changed: each
    /// ingest brings the tallies of every set along.
    indicator_sets: std::sync::Mutex<Option<(FormsListing, Arc<IndicatorSets>)>>,
}

/// Each indicator set with the form it reads.
pub(crate) type IndicatorSets = Vec<(crate::form::Form, crate::indicators::def::Indicators)>;

/// `forms/` as seen by one directory read: (name, length, modified) of each file.
type FormsListing = Vec<(std::ffi::OsString, u64, Option<std::time::SystemTime>)>;

/// The signed list of published forms, and each one's file and source, in the same order.
pub type Published = (bundle::FormList, Vec<(PathBuf, String)>);

/// A verified bundle's items opened: interviews and tombstones, form definitions, and
/// referral notices.
struct Opened {
    items: Vec<Item>,
    /// The interviews among the items, opened (for the review's quality flags).
    interviews: Vec<Finalized>,
    /// The tombstones among them (for the response figures).
    tombstones: Vec<crate::record::Tombstone>,
    forms: Vec<(Uuid, crate::form::Form)>,
    referrals: Vec<crate::record::ReferralNotice>,
}

impl Hub {
    /// Creates a hub folder: identity, signing key, config, store. Refuses to overwrite one.
    pub fn init(dir: &Path, escrow: &[String]) -> Result<Hub, HubError> {
        Hub::init_with(dir, escrow, None)
    }

    /// As `init`, the interviews on PostgreSQL when `database` is given (its schema is made
    /// there as the hub opens).
    pub fn init_with(
        dir: &Path,
        escrow: &[String],
        database: Option<&str>,
    ) -> Result<Hub, HubError> {
        if dir.join("hub.toml").exists() {
            return Err(HubError::AlreadyAHub(dir.to_path_buf()));
        }
        crate::store::paths::ensure_private_dir(dir)
            .map_err(|e| HubError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        crate::protocol::seal::parse_recipients(escrow)
            .map_err(|e| HubError::Invalid(e.to_string()))?;
        let identity = age::x25519::Identity::generate();
        let signer = keys::new_signing_key();
        let mut recipients = vec![identity.to_public().to_string()];
        recipients.extend(escrow.iter().cloned());
        let config = HubConfig {
            hub_id: Uuid::now_v7(),
            recipients,
            max_bundle_bytes: MAX_BUNDLE,
            review: review::Settings::default(),
            quality: quality::Thresholds::default(),
            accept_training: false,
            database: database.map(String::from),
        };
        if let Some(url) = database {
            // Reached, and its schema made, before anything is written here.
            pg::Db::connect(url)?;
        }
        let w = |name: &str, data: &[u8]| {
            crate::store::paths::write_private(&dir.join(name), data)
                .map_err(|e| HubError::Internal(format!("cannot write {name}: {e}")))
        };
        w("hub.age", identity.to_string().expose_secret().as_bytes())?;
        w("hub.sign", keys::hex(&signer.to_bytes()).as_bytes())?;
        w(
            "hub.toml",
            toml::to_string(&config)
                .map_err(|e| HubError::Internal(e.to_string()))?
                .as_bytes(),
        )?;
        for sub in ["bundles", "forms"] {
            crate::store::paths::ensure_private_dir(&dir.join(sub))
                .map_err(|e| HubError::Internal(e.to_string()))?;
        }
        Hub::open(dir)
    }

    pub fn open(dir: &Path) -> Result<Hub, HubError> {
        Hub::check_dir(dir)?;
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| HubError::Internal(format!("{}: {e}", dir.join(name).display())))
        };
        let config: HubConfig = toml::from_str(&read("hub.toml")?)
            .map_err(|e| HubError::Internal(format!("hub.toml: {e}")))?;
        let identity: age::x25519::Identity = read("hub.age")?
            .trim()
            .parse()
            .map_err(|e| HubError::Internal(format!("hub.age: {e}")))?;
        let signer = keys::load_signing_key(&dir.join("hub.sign")).map_err(HubError::Internal)?;
        let data_key = crate::store::datakey::load_or_create(dir, None)
            .map_err(|e| HubError::Internal(e.to_string()))?;
        // On PostgreSQL, everything but the hub's own keys is in the database.
        let db = match &config.database {
            Some(url) => Some(pg::Db::connect(url)?),
            None => None,
        };
        let (store, registry, keys): (Box<dyn HubStore>, _, _) = match &db {
            Some(db) => (
                Box::new(pg::store::PgHub { db: db.clone() }),
                Registry::Postgres(db.clone()),
                shred::ItemKeys::Postgres(db.clone(), data_key),
            ),
            None => {
                let keyring = crate::store::keyring::Keyring::open(dir, data_key)
                    .map_err(|e| HubError::Internal(e.to_string()))?;
                (
                    Box::new(SledHub::open(dir)?),
                    Registry::files(dir).map_err(HubError::Internal)?,
                    shred::ItemKeys::File(std::sync::Mutex::new(keyring)),
                )
            }
        };
        Ok(Hub {
            dir: dir.to_path_buf(),
            config,
            store,
            registry,
            identity: crate::protocol::opener::Opener::new(&identity)
                .map_err(HubError::Internal)?,
            signer,
            published: std::sync::Mutex::new(None),
            keys,
            db,
            indicator_sets: std::sync::Mutex::new(None),
        })
    }

    pub(crate) fn verify_key_hex(&self) -> String {
        keys::hex(self.signer.verifying_key().as_bytes())
    }

    /// A one-time enrolment token for a device called `name` (works while the hub serves).
    pub fn enroll_token(dir: &Path, name: &str) -> Result<String, HubError> {
        Hub::check_dir(dir)?;
        let t = keys::token();
        Registry::open(dir)
            .and_then(|r| r.add_enroll_token(&keys::sha256_hex(&t), name))
            .map_err(HubError::Internal)?;
        Ok(t)
    }

    pub(crate) fn check_dir(dir: &Path) -> Result<(), HubError> {
        if dir.join("hub.toml").is_file() {
            Ok(())
        } else {
            Err(HubError::NotAHub(dir.to_path_buf()))
        }
    }

    /// Registers a device presenting a valid one-time token; returns its API token.
    ///
    /// The device proves it holds the private key it enrols (`proof` signs the token and its
    /// id). A device id the hub already knows is re-enrolled only with that same key and only
    /// if it is not revoked: a spare token can neither take over another device's id nor bring
    /// a revoked one back.
    pub fn enroll(&self, req: &crate::protocol::http::EnrollRequest) -> Result<String, HubError> {
        let (token, device, public_key, proof) = (
            req.token.as_str(),
            req.device_id,
            req.public_key.as_str(),
            &req.proof,
        );
        if let Some(k) = &req.return_key {
            crate::protocol::seal::parse_recipients(std::slice::from_ref(k))
                .map_err(|e| HubError::Invalid(format!("return key: {e}")))?;
        }
        let key = keys::verifying_key(public_key).map_err(HubError::Invalid)?;
        let sig: [u8; 64] = keys::unhex(proof)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                HubError::Invalid("enrolment is not signed by the device's key".to_string())
            })?;
        ed25519_dalek::Verifier::verify(
            &key,
            &bundle::enroll_message(token, device),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .map_err(|_| {
            HubError::Invalid("enrolment is not signed by the device's key".to_string())
        })?;
        // Checked before the token is spent, so a refused attempt does not burn it.
        let existing = self.registry.device(device).map_err(HubError::Internal)?;
        if let Some(d) = &existing {
            if d.revoked {
                return Err(HubError::Forbidden(format!(
                    "device {} ({}) is revoked and stays revoked",
                    d.name, d.id
                )));
            }
            if d.public_key != public_key {
                return Err(HubError::Conflict(format!(
                    "device id {device} is already enrolled with another key"
                )));
            }
        }
        let name = self
            .registry
            .take_enroll_token(&keys::sha256_hex(token))
            .map_err(HubError::Internal)?
            .ok_or_else(|| {
                HubError::Unauthorized("unknown or already used enrolment token".to_string())
            })?;
        let api = keys::token();
        let d = Device {
            id: device,
            name,
            public_key: public_key.to_string(),
            token_hash: keys::sha256_hex(&api),
            revoked: false,
            enrolled: existing
                .as_ref()
                .map_or_else(chrono::Utc::now, |d| d.enrolled),
            return_key: req.return_key.clone(),
        };
        match existing {
            // The same device again (it lost its enrolment): a new API token for it.
            Some(_) => self.registry.add_device(&d),
            // Two racing enrolments of one new id: the first to create the file wins.
            None => self.registry.add_new_device(&d),
        }
        .map_err(HubError::Conflict)?;
        Ok(api)
    }

    /// The device an API token belongs to: 401 unknown, 403 revoked.
    pub(crate) fn authenticate(&self, api_token: &str) -> Result<Device, HubError> {
        let d = self
            .registry
            .device_by_token(&keys::sha256_hex(api_token))
            .map_err(HubError::Internal)?
            .ok_or_else(|| HubError::Unauthorized("unknown device token".to_string()))?;
        if d.revoked {
            return Err(HubError::Forbidden(format!("device {} is revoked", d.name)));
        }
        Ok(d)
    }

    /// The bundle as received, in `bundles/` (once: the same bundle again lands on the same
    /// name).
    fn keep_bundle(
        &self,
        bytes: &[u8],
        device: &Device,
        v: &bundle::Verified,
    ) -> Result<(), HubError> {
        let file = self
            .dir
            .join("bundles")
            // The hash keeps two different bundles apart even if a device's sequence restarted
            // (a rebuilt store); the same bundle sent twice lands on the same name.
            .join(format!(
                "{}-{:08}-{}.lnb",
                device.id,
                v.header.seq,
                &keys::hex(&v.header.payload_hash)[..12]
            ));
        crate::store::paths::write_private_once(&file, bytes)
            .map_err(|e| HubError::Internal(format!("cannot keep the bundle: {e}")))?;
        Ok(())
    }

    /// Checks and stores a bundle, all or nothing, and returns the signed receipt.
    /// `from`: the device the API token named (HTTP); `None` for a file import, where the
    /// bundle's own device id is looked up.
    pub(crate) fn ingest(&self, bytes: &[u8], from: Option<&Device>) -> Result<Ingested, HubError> {
        if bytes.len() > self.config.max_bundle_bytes {
            return Err(HubError::TooLarge {
                size: bytes.len(),
                limit: self.config.max_bundle_bytes,
            });
        }
        let device = self.sender(bytes, from)?;
        let key = keys::verifying_key(&device.public_key).map_err(HubError::Internal)?;
        // Signature and hash first; nothing is decrypted for an unsigned or damaged bundle.
        let v = bundle::verify(bytes, &key).map_err(HubError::Invalid)?;
        let Opened {
            items,
            interviews,
            tombstones,
            forms,
            referrals,
        } = self.open_items(&v, &device)?;
        let (items, refused) = self.without_practice(items, &interviews);
        let edits = self.edits_among(&items)?;
        // Referrals first: they are why a sync cannot wait.
        let mut referral_statuses = Vec::with_capacity(referrals.len());
        for n in &referrals {
            self.keep_referral(n)
                .map_err(|e| HubError::Internal(format!("cannot keep referral {}: {e}", n.id)))?;
            referral_statuses.push((n.id, bundle::ItemStatus::Accepted));
        }
        // Form definitions first: an interview is never stored without its form readable.
        let form_statuses = self.keep_forms(&forms)?;
        // Keep the bundle as received, durably, before anything is acknowledged: sled's
        // flush is weaker than fsync, so this file is what survives a power cut. On
        // PostgreSQL the commit is durable and the database is the copy (its backups the
        // audit trail); a file per process would also be a copy an erasure through another
        // process could not reach.
        if self.db.is_none() {
            self.keep_bundle(bytes, &device, &v)?;
        }
        let locked = self.locked(&items)?;
        let statuses = self.store_items(&locked, &edits, &interviews, &tombstones, |s| {
            self.start_reviews(&items, s, &interviews, &edits)
        })?;
        let receipt = Receipt {
            hub: self.config.hub_id,
            device: device.id,
            bundle_seq: v.header.seq,
            items: items
                .iter()
                .map(|i| i.id)
                .zip(statuses)
                .chain(refused.into_iter().map(|id| (id, ItemStatus::Refused)))
                .chain(form_statuses)
                .chain(referral_statuses)
                .collect(),
        };
        let ended = items.iter().filter(|i| i.tombstone).map(|i| i.id).collect();
        parallel::drop_aside((items, locked, interviews, tombstones));
        Ok(Ingested {
            receipt_bytes: bundle::sign_receipt(&receipt, &self.signer),
            receipt,
            tombstones: ended,
        })
    }

    /// Keeps each form definition a bundle brought (once per version).
    fn keep_forms(
        &self,
        forms: &[(Uuid, crate::form::Form)],
    ) -> Result<Vec<(Uuid, ItemStatus)>, HubError> {
        let root = self.form_copies_dir();
        forms
            .iter()
            .map(|(id, form)| {
                let mut new = crate::store::forms::keep_copy(&root, form).map_err(|e| {
                    HubError::Internal(format!("cannot keep form {}: {e}", form.id))
                })?;
                if let Some(db) = &self.db {
                    // Another process may have it already: the database says.
                    new = db
                        .put_form(&form.id, form.source_hash, &form.source)
                        .map_err(HubError::Internal)?;
                }
                Ok((
                    *id,
                    if new {
                        ItemStatus::Accepted
                    } else {
                        ItemStatus::Duplicate
                    },
                ))
            })
            .collect()
    }

    /// The device a bundle comes from: the token's (HTTP) or, for a file, the one its header
    /// names; addressed to this hub, and not revoked.
    fn sender(&self, bytes: &[u8], from: Option<&Device>) -> Result<Device, HubError> {
        let header = bundle::Header::parse(bytes).map_err(HubError::Invalid)?;
        if header.hub != self.config.hub_id {
            return Err(HubError::Invalid(
                "bundle is addressed to another hub".to_string(),
            ));
        }
        let device = match from {
            Some(d) if d.id != header.device => {
                return Err(HubError::Forbidden(
                    "bundle was made by another device than the token's".to_string(),
                ));
            }
            Some(d) => d.clone(),
            None => self
                .registry
                .device(header.device)
                .map_err(HubError::Internal)?
                .ok_or_else(|| HubError::Forbidden("bundle from an unknown device".to_string()))?,
        };
        if device.revoked {
            return Err(HubError::Forbidden(format!(
                "device {} is revoked",
                device.name
            )));
        }
        Ok(device)
    }

    /// Opens every item of a verified bundle; each must name its own id and the sender. Form
    /// definitions come back apart, checked: their id must be their content's hash.
    fn open_items(&self, v: &bundle::Verified, device: &Device) -> Result<Opened, HubError> {
        let now = chrono::Utc::now();
        let mut items = Vec::with_capacity(v.items.len());
        let mut interviews = Vec::new();
        let mut tombstones = Vec::new();
        let mut forms = Vec::new();
        let mut referrals = Vec::new();
        // The decryption (one X25519 each) on every core; the checks below in order.
        let opened = parallel::on_cores(&v.items, parallel::cores(), |(id, sealed)| {
            let plain = crate::protocol::seal::open(sealed, &self.identity)
                .map_err(|e| HubError::Invalid(format!("interview {id}: {e}")))?;
            let hash: [u8; 32] = sha2::Sha256::digest(&plain).into();
            bundle::read_plaintext(&plain)
                .map(|p| (p, hash))
                .map_err(|e| HubError::Invalid(format!("item {id}: {e}")))
        });
        for ((id, sealed), payload) in v.items.iter().zip(opened) {
            let (payload, hash) = payload?;
            let (rid, rdev, tombstone) = match payload {
                bundle::Payload::Tombstone(t) => {
                    let who = (t.id, device.id, true);
                    tombstones.push(t);
                    who
                }
                bundle::Payload::Interview(f) => {
                    let who = (f.id, f.device, false);
                    interviews.push(*f);
                    who
                }
                bundle::Payload::Form(src) => {
                    let form = crate::form::build(&format!("form {id}"), &src).map_err(|e| {
                        HubError::Invalid(format!("item {id}: a form that does not load: {e}"))
                    })?;
                    if bundle::form_item_id(form.source_hash) != *id {
                        return Err(HubError::Invalid(format!(
                            "item {id}: the form's content does not match its id"
                        )));
                    }
                    forms.push((*id, form));
                    continue;
                }
                bundle::Payload::Referral(n) => {
                    if n.id != *id || n.device != device.id {
                        return Err(HubError::Invalid(format!(
                            "item {id}: a referral naming another id or device"
                        )));
                    }
                    referrals.push(n);
                    continue;
                }
            };
            if rid != *id || rdev != device.id {
                return Err(HubError::Invalid(format!(
                    "interview {id}: its content names another id or device"
                )));
            }
            items.push(Item {
                id: *id,
                device: device.id,
                hash,
                sealed: sealed.to_vec(),
                received: now,
                tombstone,
            });
        }
        Ok(Opened {
            items,
            interviews,
            tombstones,
            forms,
            referrals,
        })
    }

    /// A production hub keeps no practice: the training interviews of a bundle are set
    /// apart (answered `Refused`) unless `accept_training`.
    fn without_practice(&self, items: Vec<Item>, opened: &[Finalized]) -> (Vec<Item>, Vec<Uuid>) {
        if self.config.accept_training {
            return (items, Vec::new());
        }
        let practice: std::collections::HashSet<Uuid> =
            opened.iter().filter(|f| f.training).map(|f| f.id).collect();
        let (refused, kept): (Vec<Item>, Vec<Item>) =
            items.into_iter().partition(|i| practice.contains(&i.id));
        (kept, refused.into_iter().map(|i| i.id).collect())
    }

    /// The interviews of a bundle that are new versions of ones a supervisor sent back
    /// (stored, different, and `rejected` now): they replace the stored version.
    fn edits_among(&self, items: &[Item]) -> Result<std::collections::HashSet<Uuid>, HubError> {
        let mut out = std::collections::HashSet::new();
        let ids: Vec<Uuid> = items
            .iter()
            .filter(|i| !i.tombstone)
            .map(|i| i.id)
            .collect();
        let stored = self.store.stored(&ids).map_err(HubError::Internal)?;
        for it in items.iter().filter(|i| !i.tombstone) {
            let Some(old) = stored.get(&it.id) else {
                continue;
            };
            if !old.tombstone
                && old.hash != it.hash
                && review::load(&self.reviews(), it.id)
                    .is_some_and(|r| r.state() == review::ReviewState::Rejected)
            {
                out.insert(it.id);
            }
        }
        Ok(out)
    }

    /// A review record, with its quality flags, for each interview newly accepted; a new
    /// version of a sent-back one makes it `edited`. A failure here loses no data (the
    /// interview is stored); it is said on the hub's stderr.
    fn start_reviews(
        &self,
        items: &[Item],
        statuses: &[bundle::ItemStatus],
        opened: &[Finalized],
        edits: &std::collections::HashSet<Uuid>,
    ) {
        for f in opened.iter().filter(|f| edits.contains(&f.id)) {
            match review::edited(&self.reviews(), f.id, &f.surveyor) {
                Ok(r) => self.retally(&r, f),
                Err(e) => eprintln!("warning: cannot record the new version of {}: {e}", f.id),
            }
        }
        let mut forms: std::collections::HashMap<u64, Option<Arc<crate::form::Form>>> =
            std::collections::HashMap::new();
        let accepted: std::collections::HashSet<Uuid> = items
            .iter()
            .zip(statuses)
            .filter(|(i, s)| {
                !i.tombstone && **s == bundle::ItemStatus::Accepted && !edits.contains(&i.id)
            })
            .map(|(i, _)| i.id)
            .collect();
        let received = items.first().map_or_else(chrono::Utc::now, |i| i.received);
        let new: Vec<&Finalized> = opened.iter().filter(|f| accepted.contains(&f.id)).collect();
        for f in &new {
            forms
                .entry(f.form.hash)
                .or_insert_with(|| self.form_copy(&f.form));
        }
        let with_forms: Vec<(&Finalized, Option<&crate::form::Form>)> = new
            .iter()
            .map(|f| (*f, forms.get(&f.form.hash).and_then(|x| x.as_deref())))
            .collect();
        let settings = (&self.config.review, &self.config.quality);
        if let Err(e) = review::start(&self.reviews(), &with_forms, received, settings) {
            eprintln!("warning: cannot start the review of a bundle's interviews: {e}");
        }
    }

    /// A new version's answers replace the earlier one's in its form's answer counts.
    fn retally(&self, r: &review::Review, new: &Finalized) {
        let earlier = self
            .store
            .versions(new.id)
            .ok()
            .and_then(|v| v.last().cloned())
            .and_then(|it| match self.open_item(&it) {
                Ok(bundle::Payload::Interview(f)) => Some(*f),
                _ => None,
            });
        let changes = earlier.iter().map(|f| (f, -1)).chain([(new, 1)]);
        for (f, sign) in changes {
            if let Some(form) = self.form_copy(&f.form)
                && let Err(e) = review::tally(&self.reviews(), &form, f, &r.place, sign)
            {
                eprintln!(
                    "warning: interview {}: answer counts not updated: {e}",
                    f.id
                );
            }
        }
    }

    /// Every stored interview, opened.
    pub fn each_finalized(&self, f: impl FnMut(Finalized)) -> Result<Vec<String>, String> {
        self.each_record(f, |_| {})
    }

    /// Every stored interview, opened, with when it was received; damaged ones named.
    pub(crate) fn each_submission(
        &self,
        each: &mut dyn FnMut(&Finalized, &crate::export::csv::Submission),
    ) -> Result<Vec<String>, String> {
        let mut bad = Vec::new();
        let states = review::states(&self.reviews());
        self.open_each(false, &mut |item, opened| match opened {
            Ok(bundle::Payload::Interview(f)) => {
                let review = states.get(&f.id);
                let sub = crate::export::csv::Submission {
                    received: Some(item.received),
                    review_state: review
                        .map(|(s, _)| s.central().to_string())
                        .filter(|s| !s.is_empty()),
                    edits: review.map_or(0, |(_, e)| *e),
                };
                each(&f, &sub)
            }
            Ok(_) => bad.push(format!("interview {}: holds no interview", item.id)),
            Err(e) => bad.push(format!("interview {}: {e}", item.id)),
        })?;
        Ok(bad)
    }

    /// Every stored interview and tombstone, opened.
    pub(crate) fn each_record(
        &self,
        mut interview: impl FnMut(Finalized),
        mut tombstone: impl FnMut(crate::store::Tombstone),
    ) -> Result<Vec<String>, String> {
        let mut bad = Vec::new();
        self.open_each(true, &mut |item, opened| match opened {
            Ok(bundle::Payload::Interview(f)) => interview(*f),
            Ok(bundle::Payload::Tombstone(t)) => tombstone(t),
            Ok(bundle::Payload::Form(_) | bundle::Payload::Referral(_)) => {
                bad.push(format!("interview {}: holds no interview", item.id))
            }
            Err(e) => bad.push(format!("interview {}: {e}", item.id)),
        })?;
        Ok(bad)
    }

    /// A stored item opened: unlocked from its key, unsealed with the hub's identity, read.
    pub(crate) fn open_item(&self, item: &Item) -> Result<bundle::Payload, String> {
        self.read_sealed(&self.unlock_item(item)?)
    }

    /// A sealed item (already unlocked from its key) opened with the hub's identity and read.
    pub(crate) fn read_sealed(&self, sealed: &[u8]) -> Result<bundle::Payload, String> {
        let plain =
            crate::protocol::seal::open(sealed, &self.identity).map_err(|e| e.to_string())?;
        bundle::read_plaintext(&plain)
    }

    pub fn forms_dir(&self) -> PathBuf {
        self.dir.join("forms")
    }

    /// Where the hub keeps every form version devices sent with their interviews.
    pub(crate) fn form_copies_dir(&self) -> PathBuf {
        self.dir.join("form-versions")
    }

    /// Where this hub's reviews are (files here, or its database).
    pub(crate) fn reviews(&self) -> review::Reviews {
        review::Reviews::new(&self.dir, self.db.clone())
    }

    /// The kept copy of one form version; on PostgreSQL, fetched first if another process
    /// received it.
    pub(crate) fn form_copy(&self, r: &crate::store::FormRef) -> Option<Arc<crate::form::Form>> {
        let root = self.form_copies_dir();
        crate::store::forms::load_copy(&root, r).or_else(|| {
            self.pull_form_copies();
            crate::store::forms::load_copy(&root, r)
        })
    }

    /// On PostgreSQL: copies here every form version the database has and this folder lacks.
    fn pull_form_copies(&self) {
        let Some(db) = &self.db else { return };
        let root = self.form_copies_dir();
        match db.forms() {
            Ok(rows) => {
                // Only the versions this folder lacks are read (a form is parsed to be kept).
                let missing = rows
                    .into_iter()
                    .filter(|(id, hash, _)| !crate::store::forms::has_copy(&root, id, *hash));
                for (id, hash, source) in missing {
                    match crate::form::build(&format!("form {id} ({hash:016x})"), &source) {
                        Ok(f) => {
                            if let Err(e) = crate::store::forms::keep_copy(&root, &f) {
                                eprintln!("warning: cannot keep form {id}: {e}");
                            }
                        }
                        Err(e) => eprintln!("warning: form {id} ({hash:016x}): {e}"),
                    }
                }
            }
            Err(e) => eprintln!("warning: {e}"),
        }
    }

    /// Every form the hub can read interviews with: its published forms and every version
    /// devices sent.
    pub fn known_forms(&self) -> (Vec<Arc<crate::form::Form>>, Vec<String>) {
        let (mut forms, mut errors) = crate::catalog::load_dir(&self.forms_dir());
        self.pull_form_copies();
        let (kept, bad) = crate::store::forms::load_copies(&self.form_copies_dir());
        forms.extend(kept);
        errors.extend(bad);
        (forms, errors)
    }

    /// The form files this hub hands to devices (`forms/*.toml` that pass the checks), with
    /// the list signed by the hub's key: a device installs only forms its own hub published.
    pub fn published_forms(&self) -> Arc<Published> {
        let listing = self.forms_listing();
        let mut cache = self.published.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, p)) = cache.as_ref()
            && *seen == listing
        {
            return p.clone();
        }
        let p = Arc::new(self.build_published());
        *cache = Some((listing, p.clone()));
        p
    }

    /// The indicator sets of `forms/` (and the built-in ones), parsed once per change.
    pub(crate) fn indicator_sets(&self) -> Result<Arc<IndicatorSets>, String> {
        let listing = self.forms_listing();
        let mut cache = self
            .indicator_sets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((seen, sets)) = cache.as_ref()
            && *seen == listing
        {
            return Ok(sets.clone());
        }
        let sets = Arc::new(crate::catalog::indicator_sets(&self.forms_dir())?);
        *cache = Some((listing, sets.clone()));
        Ok(sets)
    }

    fn forms_listing(&self) -> FormsListing {
        let mut out: FormsListing = std::fs::read_dir(self.forms_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((e.file_name(), m.len(), m.modified().ok()))
            })
            .collect();
        out.sort();
        out
    }

    fn build_published(&self) -> Published {
        let mut found = Vec::new();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.forms_dir())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            // Devices take our TOML forms (an XLSForm is converted with `import-xlsform`).
            .filter(|p| {
                crate::catalog::is_form_file(p) && p.extension().is_some_and(|x| x == "toml")
            })
            .collect();
        paths.sort();
        for p in paths {
            let Ok(src) = std::fs::read_to_string(&p) else {
                continue;
            };
            let Ok(f) = crate::form::build(&p.display().to_string(), &src) else {
                continue;
            };
            found.push((
                bundle::FormInfo {
                    id: f.id.clone(),
                    version: f.version.clone(),
                    sha256: keys::hex(&sha2::Sha256::digest(src.as_bytes())),
                },
                p,
                src,
            ));
        }
        let infos: Vec<bundle::FormInfo> = found.iter().map(|(i, ..)| i.clone()).collect();
        let list = bundle::sign_form_list(infos, &self.signer);
        (list, found.into_iter().map(|(_, p, s)| (p, s)).collect())
    }

    /// The source of a published form, by id and version.
    pub(crate) fn form_source(&self, id: &str, version: &str) -> Option<String> {
        let published = self.published_forms();
        let (list, files) = published.as_ref();
        list.forms
            .iter()
            .zip(files)
            .find(|(i, _)| i.id == id && i.version == version)
            .map(|(_, (_, src))| src.clone())
    }

    /// The secret that admin calls (`hub import`/`hub export` while the hub serves) must
    /// present: a file only the hub folder's owner can read, made on first use.
    pub(crate) fn admin_token(dir: &Path) -> Result<String, HubError> {
        let path = dir.join("admin.token");
        match std::fs::read_to_string(&path) {
            Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(HubError::Internal(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
            _ => {
                let t = keys::token();
                crate::store::paths::write_private(&path, t.as_bytes()).map_err(|e| {
                    HubError::Internal(format!("cannot write {}: {e}", path.display()))
                })?;
                Ok(t)
            }
        }
    }
}

/// What an accepted bundle gave: the signed receipt, and which items were tombstones.
pub(crate) struct Ingested {
    pub receipt_bytes: Vec<u8>,
    pub receipt: Receipt,
    pub tombstones: std::collections::HashSet<Uuid>,
}

impl Ingested {
    /// (accepted, duplicate, conflict) interviews, tombstones and form definitions left out;
    /// and the tombstones.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |s: ItemStatus| {
            self.receipt
                .items
                .iter()
                .filter(|(id, x)| {
                    *x == s && !self.tombstones.contains(id) && bundle::form_hash_of(*id).is_none()
                })
                .count()
        };
        (
            n(ItemStatus::Accepted),
            n(ItemStatus::Duplicate),
            n(ItemStatus::Conflict),
            self.tombstones.len(),
        )
    }

    /// Form definitions that came with the interviews.
    pub fn forms(&self) -> usize {
        self.receipt
            .items
            .iter()
            .filter(|(id, _)| bundle::form_hash_of(*id).is_some())
            .count()
    }
}
