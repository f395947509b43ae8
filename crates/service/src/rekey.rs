//! Data-key rotation through the service (administrators: `ManageKeys`).
//!
//! The store writes the new database generation and swaps the keyring
//! atomically (`tumen_store::rotate`, whose module doc says why no reader
//! that opens the archive ever fails). This module does the parts only the
//! service knows: the evidence files are re-encrypted into the new
//! generation's evidence directory, every TOTP secret is re-sealed under the
//! new `"totp-secrets"` subkey, and the ledger signing key — derived from
//! the data key, so it changes too — is handed over: the old public key is
//! kept in the setting `ledger.retired_keys` (so heads published before the
//! rotation can still be checked) and the checkpoints signed with it move
//! to `ledger.heads.retired`.

use crate::error::ServiceError;
use crate::session::{Session, archive_envelope};
use std::fs;
use std::path::Path;
use tumen_evidence::{EvidenceStore, Limits};
use tumen_ledger::LedgerKey;
use tumen_protect::{Operation, check};
use tumen_store::StoreError;

/// Key purpose of the evidence files (as in `evidence.rs`).
const EVIDENCE_KEY_PURPOSE: &str = "evidence";
/// Settings that carry the ledger's key history.
pub const RETIRED_KEYS_SETTING: &str = "ledger.retired_keys";
const HEADS_SETTING: &str = "ledger.heads";
const RETIRED_HEADS_SETTING: &str = "ledger.heads.retired";

/// What a data-key rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekeySummary {
    /// Evidence files (originals and working copies) re-encrypted.
    pub evidence_files: usize,
    /// Second factors re-sealed.
    pub totp_resealed: usize,
    /// The new database file's name.
    pub db_file: String,
    /// Fingerprints of the ledger's public key before and after.
    pub old_ledger_key: String,
    pub new_ledger_key: String,
    /// A recovery split existed: it no longer opens the archive.
    pub recovery_dropped: bool,
}

fn store_err(what: &str) -> impl Fn(ServiceError) -> StoreError + '_ {
    move |e| StoreError::Invalid(format!("{what}: {e}"))
}

impl Session<'_> {
    /// Re-encrypt the database, the evidence files and the sealed secrets
    /// under a fresh random data key, wrapped under the current
    /// `passphrase` (see the module doc and `tumen_store::rotate`).
    /// `data_dir` is the archive's directory (the evidence lives there).
    pub fn rotate_data_key(
        &self,
        data_dir: &Path,
        passphrase: &str,
    ) -> Result<RekeySummary, ServiceError> {
        check(
            self.actor(),
            Operation::ManageKeys,
            &archive_envelope("keyring"),
        )?;
        let mut store = self.archive().store()?;
        let (mut evidence_files, mut totp_resealed) = (0, 0);
        let (mut old_fp, mut new_fp) = (String::new(), String::new());
        let mut new_evidence = None;
        let outcome = store.rotate_data_key(passphrase, &mut |r| {
            // Evidence: every file, into the new generation's directory.
            new_evidence = Some(r.new_evidence_dir());
            let old_dir = r.old_evidence_dir();
            if old_dir.is_dir() {
                let old = EvidenceStore::open_dir(
                    &old_dir,
                    &*r.old_subkey(EVIDENCE_KEY_PURPOSE)?,
                    Limits::default(),
                )
                .map_err(|e| StoreError::Invalid(format!("evidence: {e}")))?;
                let new = EvidenceStore::open_dir(
                    &r.new_evidence_dir(),
                    &*r.new_subkey(EVIDENCE_KEY_PURPOSE)?,
                    Limits::default(),
                )
                .map_err(|e| StoreError::Invalid(format!("evidence: {e}")))?;
                evidence_files = old
                    .reencrypt_into(&new)
                    .map_err(|e| StoreError::Invalid(format!("evidence: {e}")))?;
            }
            // Second factors: re-sealed under the new subkey.
            for mut u in r.users()? {
                if let Some(t) = &u.totp {
                    u.totp = Some(
                        crate::accounts::reseal_totp(&u.name, t, r)
                            .map_err(store_err("second factor"))?,
                    );
                    r.update_user(&u)?;
                    totp_resealed += 1;
                }
            }
            // The ledger key: keep the old public key, set its heads aside.
            let old_key = LedgerKey::from_seed(&*r.old_subkey("ledger-signing")?).public();
            let new_key = LedgerKey::from_seed(&*r.new_subkey("ledger-signing")?).public();
            old_fp = old_key.fingerprint();
            new_fp = new_key.fingerprint();
            let mut keys = r.setting(RETIRED_KEYS_SETTING)?.unwrap_or_default();
            keys.push_str(&old_key.to_hex());
            keys.push('\n');
            r.set_setting(RETIRED_KEYS_SETTING, &keys)?;
            let heads = r.setting(HEADS_SETTING)?.unwrap_or_default();
            let mut retired = r.setting(RETIRED_HEADS_SETTING)?.unwrap_or_default();
            retired.push_str(&heads);
            r.set_setting(RETIRED_HEADS_SETTING, &retired)?;
            r.set_setting(HEADS_SETTING, "")?;
            Ok(())
        });
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                // Nothing was swapped: remove what was written aside.
                if let Some(d) = new_evidence {
                    remove_dir_writable(&d);
                }
                return Err(e.into());
            }
        };
        // The old generation's evidence is under the retired key: remove it.
        remove_dir_writable(&data_dir.join(&outcome.old_evidence_dir));
        Ok(RekeySummary {
            evidence_files,
            totp_resealed,
            db_file: outcome.db_file,
            old_ledger_key: old_fp,
            new_ledger_key: new_fp,
            recovery_dropped: outcome.recovery_dropped,
        })
    }
}

/// Remove a directory tree whose files were made read-only (originals).
fn remove_dir_writable(dir: &Path) {
    if fs::remove_dir_all(dir).is_ok() || !dir.exists() {
        return;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            if let Ok(m) = fs::metadata(&p) {
                let mut perm = m.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                perm.set_readonly(false);
                let _ = fs::set_permissions(&p, perm);
            }
        }
    }
    let _ = fs::remove_dir_all(dir);
}
