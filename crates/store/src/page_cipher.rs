//! A second page cipher for SQLCipher's codec: AES-256-CTR with a GMAC tag
//! per page, for archives whose keyring says `"page_cipher": "aes_ctr_gmac"`.
//!
//! Why: SQLCipher 4 encrypts each page with AES-256-CBC and authenticates it
//! with an HMAC, on the thread that writes. CBC encryption is one serial
//! chain of AES blocks (≈ 1.2 GB/s on the machines we measure on, however
//! many AES units the core has), the HMAC is another pass over the page, and
//! the OpenSSL provider sets up a fresh cipher and MAC context for every
//! page. That was most of the encryption overhead measured on a large
//! import and on a cold query (BENCHMARKS.md, "Store (issue 2)"). CTR keeps
//! the AES units of a core busy in parallel, GMAC (GHASH with carry-less
//! multiplication) is several times faster than SHA-256, and the contexts
//! here are keyed once and reused for every page.
//!
//! How: SQLCipher takes its primitives from a *provider*, a table of
//! functions copied into every codec context when a database is keyed. We
//! install one provider that wraps SQLCipher's own OpenSSL provider
//! ([`install`]): a context created while the keying thread has asked for
//! [`Mode::CtrGmac`] (see [`keyed_with`]) uses the functions below; every
//! other context — every archive made before, every connection tumen does
//! not key itself — calls SQLCipher's original functions unchanged. Nothing
//! else of SQLCipher changes: the page layout (the IV and the tag in each
//! page's reserved bytes), the codec that encrypts pages before they reach
//! the journal or the WAL (so the WAL's checksums are over ciphertext), the
//! raw key, the derived MAC key and the salt in the first 16 bytes. (An
//! encrypting VFS of our own would have had to find pages inside journal
//! and WAL records, and SQLite computes their checksums over what it hands
//! the VFS — the plaintext.) `PRAGMA cipher_provider` names the provider a
//! connection's main database uses: `tumen-openssl-ctr-gmac` for this one.
//!
//! Tests: the pages are checked against an independent implementation of
//! the construction below, and AES-CBC pages written beside it against
//! SQLCipher's format (`tests.rs`, `…independent_implementation…`,
//! `…are_sqlciphers_format`); tampering, rotation and VACUUM likewise, and
//! archives of both ciphers keyed on many threads at once
//! (`…on_many_threads_each_keep_their_own`).
//!
//! The construction per page, with SQLCipher's two keys (the data key and
//! the MAC key it derives from it): a fresh random 16-byte IV in the
//! reserved bytes; the usable part of the page encrypted with AES-256-CTR
//! starting at that IV; a 16-byte GMAC (AES-256-GCM with no plaintext) under
//! the MAC key, with the IV's first 12 bytes as nonce, over the ciphertext,
//! the IV and the page number — encrypt-then-MAC, as SQLCipher does with its
//! HMAC. A page is only decrypted after its tag checks, and a page moved to
//! another place in the file fails the check. The IVs come from a ChaCha12
//! generator seeded from the operating system for each codec context: with
//! random 96-bit nonces, one key may tag 2^32 page writes (NIST SP 800-38D,
//! 8.3) — 16 TiB of writes at 4 KiB; a data-key rotation starts again.
//!
//! The one global change: SQLCipher frees its provider table when its last
//! connection closes and installs its own again at the next one. An anchor
//! connection (an empty temporary database, keyed, never written) is kept
//! open for the life of the process so that this never happens.

use rand::{RngCore, SeedableRng, rngs::StdRng};
use std::cell::Cell;
use std::os::raw::{c_char, c_int, c_uchar, c_void};
use std::sync::{Mutex, OnceLock};

/// Which primitives a codec context uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// SQLCipher's own provider: AES-256-CBC and an HMAC.
    Sqlcipher,
    /// AES-256-CTR and a GMAC tag (this module).
    CtrGmac,
}

impl From<crate::keyring::PageCipher> for Mode {
    fn from(c: crate::keyring::PageCipher) -> Mode {
        match c {
            crate::keyring::PageCipher::AesCbc => Mode::Sqlcipher,
            crate::keyring::PageCipher::AesCtrGmac => Mode::CtrGmac,
        }
    }
}

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;
/// Bytes of the GMAC tag (the "HMAC size" SQLCipher reserves room for).
const TAG: usize = 16;
/// Bytes of SQLCipher's IV (the AES block).
const IV: usize = 16;
/// Bytes of an AES-256 key.
const KEY: usize = 32;

/// SQLCipher's `sqlcipher_provider` (sqlcipher.h), field for field.
#[repr(C)]
#[derive(Clone, Copy)]
struct Provider {
    activate: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    deactivate: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_provider_name: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    add_random: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int>,
    random: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int>,
    #[allow(clippy::type_complexity)]
    hmac: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *mut c_uchar,
            c_int,
            *mut c_uchar,
            c_int,
            *mut c_uchar,
            c_int,
            *mut c_uchar,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    kdf: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const c_uchar,
            c_int,
            *mut c_uchar,
            c_int,
            c_int,
            c_int,
            *mut c_uchar,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    cipher: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *mut c_uchar,
            c_int,
            *mut c_uchar,
            *mut c_uchar,
            c_int,
            *mut c_uchar,
        ) -> c_int,
    >,
    get_cipher: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    get_key_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_iv_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_block_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_hmac_sz: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    ctx_init: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    ctx_free: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    fips_status: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_provider_version: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
}

unsafe extern "C" {
    fn sqlcipher_get_provider() -> *mut Provider;
    fn sqlcipher_register_provider(p: *mut Provider) -> c_int;
    fn sqlcipher_malloc(size: u64) -> *mut c_void;
}

/// SQLCipher's OpenSSL provider as it was before [`install`] replaced it.
static ORIGINAL: OnceLock<Provider> = OnceLock::new();
/// The outcome of [`install`], once.
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
/// Keeps SQLCipher from ever dropping the installed provider (module docs).
static ANCHOR: OnceLock<Mutex<rusqlite::Connection>> = OnceLock::new();

thread_local! {
    /// The mode the next codec context created on this thread gets.
    static NEXT_MODE: Cell<Mode> = const { Cell::new(Mode::Sqlcipher) };
}

/// Install the wrapping provider (once per process). Safe to call from any
/// thread, any number of times.
pub(crate) fn install() -> Result<(), String> {
    INSTALLED.get_or_init(install_once).clone()
}

fn install_once() -> Result<(), String> {
    // An empty temporary database, keyed: this activates SQLCipher (which
    // registers its provider) and holds the activation for good.
    let anchor = rusqlite::Connection::open("").map_err(|e| e.to_string())?;
    let mut key = [0u8; KEY];
    rand::rng().fill_bytes(&mut key);
    let spec = zeroize::Zeroizing::new(format!("x'{}'", hex::encode(key)));
    // SAFETY: a valid connection; the pointer and length describe `spec`.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_key(anchor.handle(), spec.as_ptr().cast(), spec.len() as c_int)
    };
    if rc != SQLITE_OK {
        return Err(format!("keying the anchor connection failed ({rc})"));
    }
    // SAFETY: SQLCipher is activated (the anchor above), so its provider
    // table exists and stays until it is replaced; we copy it before
    // registering ours, which SQLCipher then owns (allocated with its
    // allocator, as `sqlcipher_register_provider` frees the previous one).
    unsafe {
        let current = sqlcipher_get_provider();
        if current.is_null() {
            return Err("SQLCipher has no crypto provider".into());
        }
        let original = *current;
        if original.ctx_init.is_none() || original.cipher.is_none() || original.hmac.is_none() {
            return Err("SQLCipher's crypto provider is incomplete".into());
        }
        let _ = ORIGINAL.set(original);
        let ours = sqlcipher_malloc(std::mem::size_of::<Provider>() as u64) as *mut Provider;
        if ours.is_null() {
            return Err("out of memory".into());
        }
        ours.write(Provider {
            activate: original.activate,
            deactivate: original.deactivate,
            get_provider_name: Some(get_provider_name),
            add_random: Some(add_random),
            random: Some(random),
            hmac: Some(hmac),
            kdf: Some(kdf),
            cipher: Some(cipher),
            get_cipher: Some(get_cipher),
            get_key_sz: original.get_key_sz,
            get_iv_sz: original.get_iv_sz,
            get_block_sz: original.get_block_sz,
            get_hmac_sz: Some(get_hmac_sz),
            ctx_init: Some(ctx_init),
            ctx_free: Some(ctx_free),
            fips_status: Some(fips_status),
            get_provider_version: Some(get_provider_version),
        });
        if sqlcipher_register_provider(ours) != SQLITE_OK {
            return Err("SQLCipher refused the provider".into());
        }
    }
    let _ = ANCHOR.set(Mutex::new(anchor));
    Ok(())
}

/// Run `f` (which keys a database: `sqlite3_key`, or an `ATTACH … KEY`)
/// so that the codec contexts it creates use `mode`.
pub(crate) fn keyed_with<T>(
    mode: Mode,
    f: impl FnOnce() -> T,
) -> Result<T, crate::error::StoreError> {
    if mode == Mode::CtrGmac {
        install().map_err(crate::error::StoreError::PageCipher)?;
    }
    struct Reset(Mode);
    impl Drop for Reset {
        fn drop(&mut self) {
            NEXT_MODE.with(|m| m.set(self.0));
        }
    }
    let _reset = Reset(NEXT_MODE.with(|m| m.replace(mode)));
    Ok(f())
}

fn original() -> &'static Provider {
    // Only our functions call this, and they are only reachable once
    // `install` has set it.
    ORIGINAL.get().expect("provider installed")
}

/// One OpenSSL cipher context keyed once and reused while the key stays.
struct Keyed {
    ctx: *mut openssl_sys::EVP_CIPHER_CTX,
    key: zeroize::Zeroizing<[u8; KEY]>,
    ready: bool,
}

impl Keyed {
    fn new() -> Option<Keyed> {
        // SAFETY: plain allocation; checked for null.
        let ctx = unsafe { openssl_sys::EVP_CIPHER_CTX_new() };
        (!ctx.is_null()).then(|| Keyed {
            ctx,
            key: zeroize::Zeroizing::new([0; KEY]),
            ready: false,
        })
    }

    /// Key the context for `cipher` unless it already holds `key`.
    ///
    /// # Safety
    /// `key` points to `KEY` readable bytes.
    unsafe fn rekey(&mut self, cipher: *const openssl_sys::EVP_CIPHER, key: *const u8) -> bool {
        // SAFETY: the caller's promise.
        let key = unsafe { std::slice::from_raw_parts(key, KEY) };
        if self.ready && self.key[..] == *key {
            return true;
        }
        self.key.copy_from_slice(key);
        // SAFETY: a live context, a static cipher, a 32-byte key.
        self.ready = unsafe {
            openssl_sys::EVP_EncryptInit_ex(
                self.ctx,
                cipher,
                std::ptr::null_mut(),
                self.key.as_ptr(),
                std::ptr::null(),
            ) == 1
        };
        self.ready
    }
}

impl Drop for Keyed {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`; EVP_CIPHER_CTX_free cleanses the key
        // schedule.
        unsafe { openssl_sys::EVP_CIPHER_CTX_free(self.ctx) }
    }
}

/// Our provider context: the mode, SQLCipher's own context, and for
/// [`Mode::CtrGmac`] the two cipher contexts and the IV generator.
struct Ctx {
    mode: Mode,
    original: *mut c_void,
    ctr: Option<Keyed>,
    gmac: Option<Keyed>,
    rng: Option<StdRng>,
}

/// # Safety
/// `ctx` is a context made by [`ctx_init`].
unsafe fn ctx<'a>(ctx: *mut c_void) -> &'a mut Ctx {
    // SAFETY: the caller's promise; SQLCipher uses a codec context (and so
    // its provider context) from one connection, one thread at a time.
    unsafe { &mut *(ctx as *mut Ctx) }
}

unsafe extern "C" fn ctx_init(out: *mut *mut c_void) -> c_int {
    let mode = NEXT_MODE.with(|m| m.get());
    let mut orig: *mut c_void = std::ptr::null_mut();
    // SAFETY: SQLCipher's own initializer, with a place for its context.
    let rc = unsafe { (original().ctx_init.expect("checked at install"))(&mut orig) };
    if rc != SQLITE_OK {
        return rc;
    }
    let mut c = Ctx {
        mode,
        original: orig,
        ctr: None,
        gmac: None,
        rng: None,
    };
    if mode == Mode::CtrGmac {
        c.ctr = Keyed::new();
        c.gmac = Keyed::new();
        c.rng = StdRng::try_from_os_rng().ok();
        if c.ctr.is_none() || c.gmac.is_none() || c.rng.is_none() {
            let mut o = c.original;
            // SAFETY: the context SQLCipher's initializer just made.
            unsafe { (original().ctx_free.expect("checked at install"))(&mut o) };
            return SQLITE_ERROR;
        }
    }
    // SAFETY: SQLCipher passes a valid place for the context.
    unsafe { *out = Box::into_raw(Box::new(c)) as *mut c_void };
    SQLITE_OK
}

unsafe extern "C" fn ctx_free(p: *mut *mut c_void) -> c_int {
    // SAFETY: `*p` is null or a context made by `ctx_init`.
    unsafe {
        if p.is_null() || (*p).is_null() {
            return SQLITE_OK;
        }
        let c = Box::from_raw(*p as *mut Ctx);
        *p = std::ptr::null_mut();
        let mut o = c.original;
        drop(c);
        match original().ctx_free {
            Some(f) => f(&mut o),
            None => SQLITE_OK,
        }
    }
}

unsafe extern "C" fn get_provider_name(c: *mut c_void) -> *const c_char {
    // SAFETY: see `ctx`.
    let c = unsafe { ctx(c) };
    match c.mode {
        Mode::CtrGmac => c"tumen-openssl-ctr-gmac".as_ptr(),
        // SAFETY: SQLCipher's function with its own context.
        Mode::Sqlcipher => unsafe { (original().get_provider_name.expect("set"))(c.original) },
    }
}

unsafe extern "C" fn get_provider_version(c: *mut c_void) -> *const c_char {
    // SAFETY: see `ctx`; then SQLCipher's function with its own context.
    unsafe { (original().get_provider_version.expect("set"))(ctx(c).original) }
}

unsafe extern "C" fn fips_status(c: *mut c_void) -> c_int {
    // SAFETY: see `ctx`; then SQLCipher's function with its own context.
    unsafe { (original().fips_status.expect("set"))(ctx(c).original) }
}

unsafe extern "C" fn get_cipher(c: *mut c_void) -> *const c_char {
    // SAFETY: see `ctx`.
    let c = unsafe { ctx(c) };
    match c.mode {
        Mode::CtrGmac => c"aes-256-ctr".as_ptr(),
        // SAFETY: SQLCipher's function with its own context.
        Mode::Sqlcipher => unsafe { (original().get_cipher.expect("set"))(c.original) },
    }
}

unsafe extern "C" fn get_hmac_sz(c: *mut c_void, algorithm: c_int) -> c_int {
    // SAFETY: see `ctx`.
    let c = unsafe { ctx(c) };
    match c.mode {
        Mode::CtrGmac => TAG as c_int,
        // SAFETY: SQLCipher's function with its own context.
        Mode::Sqlcipher => unsafe { (original().get_hmac_sz.expect("set"))(c.original, algorithm) },
    }
}

unsafe extern "C" fn add_random(c: *mut c_void, buf: *mut c_void, len: c_int) -> c_int {
    // SAFETY: see `ctx`; then SQLCipher's function with its own context.
    unsafe { (original().add_random.expect("set"))(ctx(c).original, buf, len) }
}

unsafe extern "C" fn random(c: *mut c_void, buf: *mut c_void, len: c_int) -> c_int {
    // SAFETY: see `ctx`.
    let c = unsafe { ctx(c) };
    match (c.mode, c.rng.as_mut()) {
        (Mode::CtrGmac, Some(rng)) if len >= 0 && !buf.is_null() => {
            // SAFETY: SQLCipher passes `len` writable bytes.
            let out = unsafe { std::slice::from_raw_parts_mut(buf as *mut u8, len as usize) };
            rng.fill_bytes(out);
            SQLITE_OK
        }
        (Mode::CtrGmac, _) => SQLITE_ERROR,
        // SAFETY: SQLCipher's function with its own context.
        (Mode::Sqlcipher, _) => unsafe { (original().random.expect("set"))(c.original, buf, len) },
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    c: *mut c_void,
    algorithm: c_int,
    pass: *const c_uchar,
    pass_sz: c_int,
    salt: *mut c_uchar,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut c_uchar,
) -> c_int {
    // SQLCipher derives the MAC key from the data key with its own KDF in
    // both modes.
    // SAFETY: see `ctx`; then SQLCipher's function with its own context.
    unsafe {
        (original().kdf.expect("set"))(
            ctx(c).original,
            algorithm,
            pass,
            pass_sz,
            salt,
            salt_sz,
            workfactor,
            key_sz,
            key,
        )
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    c: *mut c_void,
    mode: c_int,
    key: *mut c_uchar,
    key_sz: c_int,
    iv: *mut c_uchar,
    input: *mut c_uchar,
    in_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    // SAFETY: see `ctx`.
    let c = unsafe { ctx(c) };
    if c.mode == Mode::Sqlcipher {
        // SAFETY: SQLCipher's function with its own context.
        return unsafe {
            (original().cipher.expect("set"))(c.original, mode, key, key_sz, iv, input, in_sz, out)
        };
    }
    let Some(k) = c.ctr.as_mut() else {
        return SQLITE_ERROR;
    };
    if key_sz != KEY as c_int
        || in_sz < 0
        || key.is_null()
        || iv.is_null()
        || input.is_null()
        || out.is_null()
    {
        return SQLITE_ERROR;
    }
    // CTR is its own inverse: the same call encrypts and decrypts.
    // SAFETY: SQLCipher passes a 32-byte key, a 16-byte IV and `in_sz`
    // bytes in and out (CTR writes exactly as many as it reads).
    unsafe {
        if !k.rekey(openssl_sys::EVP_aes_256_ctr(), key) {
            return SQLITE_ERROR;
        }
        if openssl_sys::EVP_EncryptInit_ex(
            k.ctx,
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null(),
            iv,
        ) != 1
        {
            return SQLITE_ERROR;
        }
        let mut n: c_int = 0;
        if openssl_sys::EVP_EncryptUpdate(k.ctx, out, &mut n, input, in_sz) != 1 || n != in_sz {
            return SQLITE_ERROR;
        }
    }
    SQLITE_OK
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    c: *mut c_void,
    algorithm: c_int,
    key: *mut c_uchar,
    key_sz: c_int,
    input: *mut c_uchar,
    in_sz: c_int,
    in2: *mut c_uchar,
    in2_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    // SAFETY: see `ctx`.
    let c = unsafe { ctx(c) };
    if c.mode == Mode::Sqlcipher {
        // SAFETY: SQLCipher's function with its own context.
        return unsafe {
            (original().hmac.expect("set"))(
                c.original, algorithm, key, key_sz, input, in_sz, in2, in2_sz, out,
            )
        };
    }
    let Some(k) = c.gmac.as_mut() else {
        return SQLITE_ERROR;
    };
    // `input` is the encrypted page followed by its IV (sqlcipher_page_hmac).
    if key_sz != KEY as c_int
        || in_sz < IV as c_int
        || in2_sz < 0
        || key.is_null()
        || input.is_null()
        || out.is_null()
        || (in2_sz > 0 && in2.is_null())
    {
        return SQLITE_ERROR;
    }
    // SAFETY: SQLCipher passes a 32-byte MAC key, `in_sz` bytes ending in
    // the IV, `in2_sz` bytes of page number and room for the tag it asked
    // for (`get_hmac_sz`).
    unsafe {
        if !k.rekey(openssl_sys::EVP_aes_256_gcm(), key) {
            return SQLITE_ERROR;
        }
        let nonce = input.add(in_sz as usize - IV);
        if openssl_sys::EVP_EncryptInit_ex(
            k.ctx,
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null(),
            nonce,
        ) != 1
        {
            return SQLITE_ERROR;
        }
        let mut n: c_int = 0;
        if openssl_sys::EVP_EncryptUpdate(k.ctx, std::ptr::null_mut(), &mut n, input, in_sz) != 1 {
            return SQLITE_ERROR;
        }
        if in2_sz > 0
            && openssl_sys::EVP_EncryptUpdate(k.ctx, std::ptr::null_mut(), &mut n, in2, in2_sz) != 1
        {
            return SQLITE_ERROR;
        }
        let mut rest = [0u8; 16];
        if openssl_sys::EVP_EncryptFinal_ex(k.ctx, rest.as_mut_ptr(), &mut n) != 1 {
            return SQLITE_ERROR;
        }
        if openssl_sys::EVP_CIPHER_CTX_ctrl(
            k.ctx,
            openssl_sys::EVP_CTRL_GCM_GET_TAG,
            TAG as c_int,
            out as *mut c_void,
        ) != 1
        {
            return SQLITE_ERROR;
        }
    }
    SQLITE_OK
}
