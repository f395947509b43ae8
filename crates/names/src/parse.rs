//! Reading a name written in any script into candidate syllable sequences.
//!
//! A *reading* is what a name sounds like in Korean, syllable by syllable.
//! Each syllable is held as one `u64` of three bit sets — the possible initial
//! consonants (19 bits), vowels (21 bits) and final-consonant classes
//! (8 bits) — plus flags. A Hangul syllable sets one bit in each set; a Latin
//! spelling sets every Hangul jamo it can stand for ("o" = ㅓ or ㅗ, "ch" =
//! ㅈ ㅊ ㅉ) and a Chinese character the union of its readings. Two syllables
//! can be the same when all three sets intersect, so comparing a Latin
//! spelling with Hangul never has to commit to one reading, and comparing two
//! names is a handful of AND instructions per syllable.
//!
//! Because Latin text can be cut into syllables in several ways ("Jongun" =
//! Jong-un or Jon-gun) and surname-first vs given-first order is not always
//! known, a name yields a few *candidates*; two names match when some pair
//! of candidates does.
//!
//! A Latin word that reads as nothing (no Korean cut, no pinyin, no known
//! surname) may be a typing error: its corrections by one edit are extra
//! candidates, their syllables flagged `TYPO`, used only when the rest of
//! the name is strong evidence (see `correct_typo` and `typo_word`). A slip
//! that still reads ("Jong Nu") is never corrected: it may be another name.
//!
//! For speed (keying runs over whole lists), a word's readings are spans of
//! a flat `Arena` rather than vectors of their own; Latin words, which
//! recur across a list (Kim, Chol), are memoized per thread in the memo's
//! arena, the other words of a name go to a scratch arena, and the key path
//! collects candidates in a reused `Cands` buffer, so that keying a name
//! allocates only its key once the arenas have grown.

use crate::hangul::{self, Syllable, fin, ini, vow};
use crate::normalize::{self, Piece};
use crate::tables::{self, HashMap, tables};
use std::sync::OnceLock;

pub const VOW_SHIFT: u32 = 19;
pub const FIN_SHIFT: u32 = 40;
pub const INI_ALL: u64 = (1 << 19) - 1;
pub const VOW_ALL: u64 = ((1 << 21) - 1) << VOW_SHIFT;
pub const FIN_ALL: u64 = 0xFF << FIN_SHIFT;
/// Both sides of a comparison being exact makes a full match score 1.0.
pub const EXACT: u64 = 1 << 48;
/// The syllable was read as Mandarin pinyin.
pub const PINYIN: u64 = 1 << 49;
/// An unreadable unit (unknown word or character): bits 0..32 hold a hash;
/// it matches only an identical unit.
pub const OPAQUE: u64 = 1 << 50;
/// The syllable starts a surname or given name (initial-sound rule applies).
pub const WORDSTART: u64 = 1 << 51;
/// The syllable comes from correcting a typing error in a Latin word that
/// could not be read ("Jni" read as "Jin"): a full match scores lower.
pub const TYPO: u64 = 1 << 63;
/// Pinyin syllable id (bits 52..62): index of its set of Hangul readings.
const ID_SHIFT: u32 = 52;
const ID_MASK: u64 = 0x7FF << ID_SHIFT;

/// Most candidates kept per name.
pub const MAX_CANDS: usize = 8;
/// Most syllables kept per candidate.
pub const MAX_SYL: usize = 16;
/// Characters of input considered.
pub const MAX_CHARS: usize = 256;
/// Longest Latin word cut into syllables.
const MAX_WORD: usize = 32;

#[inline]
pub const fn ib(i: u8) -> u64 {
    1 << i
}
#[inline]
pub const fn vb(v: u8) -> u64 {
    1 << (VOW_SHIFT + v as u32)
}
#[inline]
const fn fb(c: u8) -> u64 {
    1 << (FIN_SHIFT + c as u32)
}

/// Final consonant classes (as finals are pronounced and romanized).
pub mod fc {
    pub const NONE: u8 = 0;
    pub const K: u8 = 1;
    pub const N: u8 = 2;
    pub const T: u8 = 3;
    pub const L: u8 = 4;
    pub const M: u8 = 5;
    pub const P: u8 = 6;
    pub const NG: u8 = 7;
}

pub fn fin_class(f: u8) -> u8 {
    match f {
        fin::NONE => fc::NONE,
        fin::G | fin::GG | fin::GS | fin::K | fin::LG => fc::K,
        fin::N | fin::NJ | fin::NH => fc::N,
        fin::L | fin::LB | fin::LS | fin::LT | fin::LH => fc::L,
        fin::M | fin::LM => fc::M,
        fin::B | fin::BS | fin::P | fin::LP => fc::P,
        fin::NG => fc::NG,
        _ => fc::T,
    }
}

/// The mask of one Hangul syllable (exact).
pub fn syllable_mask(s: Syllable) -> u64 {
    ib(s.initial) | vb(s.vowel) | fb(fin_class(s.fin)) | EXACT
}

const IOTIZED: u64 = (1 << (VOW_SHIFT + vow::I as u32))
    | (1 << (VOW_SHIFT + vow::YA as u32))
    | (1 << (VOW_SHIFT + vow::YAE as u32))
    | (1 << (VOW_SHIFT + vow::YEO as u32))
    | (1 << (VOW_SHIFT + vow::YE as u32))
    | (1 << (VOW_SHIFT + vow::YO as u32))
    | (1 << (VOW_SHIFT + vow::YU as u32));
const LIQ: u64 = (1 << ini::R) | (1 << ini::N);
const LIQ0: u64 = LIQ | (1 << ini::NG);

/// The initial-sound rule (두음법칙) at the start of a surname or given
/// name: North Korea writes 리 로 류 녀 where the South writes 이 노 유 여, so
/// at those positions ㄹ, ㄴ and ㅇ are interchangeable as the rule allows.
pub fn word_start(m: u64) -> u64 {
    if m & OPAQUE != 0 || m & LIQ0 == 0 {
        return m;
    }
    let mut out = m;
    if m & IOTIZED != 0 {
        out |= LIQ0;
    }
    if m & VOW_ALL & !IOTIZED != 0 && m & LIQ != 0 {
        out |= LIQ;
    }
    out
}

/// Which components of two syllables agree: (initial, vowel, final).
#[inline]
pub fn syl_match(a: u64, b: u64) -> (bool, bool, bool) {
    if (a | b) & OPAQUE != 0 {
        let eq = (a ^ b) & (OPAQUE | 0xFFFF_FFFF) == 0;
        return (eq, eq, eq);
    }
    let x = a & b;
    let (i, v, f) = (x & INI_ALL != 0, x & VOW_ALL != 0, x & FIN_ALL != 0);
    if (a | b) & PINYIN != 0 && i && v && f && !pinyin_exact(a, b) {
        return (i, v, false);
    }
    (i, v, f)
}

/// A pinyin syllable stands for a *set* of Hangul readings (those of the
/// characters pronounced so); the bit sets are their union, which is looser.
/// This checks that one actual reading fits the other side. Two pinyin
/// syllables agree only when they are the same syllable.
#[cold]
fn pinyin_exact(a: u64, b: u64) -> bool {
    let ida = ((a & ID_MASK) >> ID_SHIFT) as usize;
    let idb = ((b & ID_MASK) >> ID_SHIFT) as usize;
    let (p, id, o) = match (ida, idb) {
        (0, 0) => return true,
        (x, y) if x > 0 && y > 0 => return x == y,
        (x, 0) => (a, x, b),
        (_, y) => (b, y, a),
    };
    let sets = &pinyin_table().sets;
    let Some(rs) = sets.get(id) else { return false };
    rs.iter().any(|&r| {
        let m = if p & WORDSTART != 0 { word_start(r) } else { r };
        let x = m & o;
        x & INI_ALL != 0 && x & VOW_ALL != 0 && x & FIN_ALL != 0
    })
}

/// How a candidate was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Hangul, Hanja or a Korean romanization.
    Korean = 0,
    /// Mandarin pinyin of the Chinese characters.
    Pinyin = 1,
}

/// One way of reading a name.
#[derive(Debug, Clone)]
pub struct Cand {
    pub syl: Vec<u64>,
    pub n_sur: usize,
    pub kind: Kind,
    /// Display text of each syllable (only when explaining).
    pub text: Vec<String>,
    /// Whether the candidate puts the surname last in the written order.
    pub surname_last: bool,
    /// The typing error corrected in this candidate, for explanations:
    /// "'jni' ~ 'jin' (two letters swapped)" (only when explaining).
    pub typo: Option<String>,
}

/// Script of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Hangul,
    Han,
    Latin,
}

/// What the parser saw, for explanations.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub cands: Vec<Cand>,
    pub scripts: Vec<Script>,
    /// Characters ignored (digits, emoji, controls, other scripts).
    pub ignored: usize,
    pub truncated: bool,
    /// Hangul reading of a Hanja name (surname reading for the first
    /// character), for explanations.
    pub hanja_reading: Option<String>,
}

// ---------------------------------------------------------------- arena --

/// A range of an [`Arena`]'s list (alternatives, letters or characters).
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    at: u32,
    n: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.at as usize..self.at as usize + self.n as usize
    }
}

/// One alternative reading of a word: its syllable masks `syl[at..at+len]`
/// in an [`Arena`] and, when explaining, their texts
/// `text[text_at..text_at+text_len]`.
#[derive(Debug, Clone, Copy, Default)]
struct Alt {
    at: u32,
    len: u32,
    text_at: u32,
    text_len: u32,
}

/// Flat storage of words' readings: every syllable mask, text, alternative
/// and letter of the words it holds, in five vectors that are cleared but
/// not freed, so that a new word costs no allocation once they have grown
/// (a word used to be 6–8 small vectors). The word memo keeps one arena for
/// the Latin words of many names, the reader a scratch arena for the other
/// words of one name.
#[derive(Default)]
struct Arena {
    syl: Vec<u64>,
    /// Display texts (only when explaining).
    text: Vec<String>,
    alts: Vec<Alt>,
    bytes: Vec<u8>,
    chars: Vec<char>,
}

impl Arena {
    fn clear(&mut self) {
        self.syl.clear();
        self.text.clear();
        self.alts.clear();
        self.bytes.clear();
        self.chars.clear();
    }

    fn syl(&self, a: Alt) -> &[u64] {
        let s = a.at as usize;
        self.syl.get(s..s + a.len as usize).unwrap_or(&[])
    }

    fn text(&self, a: Alt) -> &[String] {
        let s = a.text_at as usize;
        self.text.get(s..s + a.text_len as usize).unwrap_or(&[])
    }

    fn list(&self, s: Span) -> &[Alt] {
        self.alts.get(s.range()).unwrap_or(&[])
    }

    fn bytes(&self, s: Span) -> &[u8] {
        self.bytes.get(s.range()).unwrap_or(&[])
    }

    fn chars(&self, s: Span) -> &[char] {
        self.chars.get(s.range()).unwrap_or(&[])
    }

    /// Store masks and texts as one alternative (not added to `alts`).
    fn alt(&mut self, m: impl IntoIterator<Item = u64>, text: Vec<String>) -> Alt {
        let at = self.syl.len();
        self.syl.extend(m);
        let text_at = self.text.len();
        let text_len = text.len();
        // (Texts only when explaining: nothing to move otherwise.)
        if text_len > 0 {
            self.text.extend(text);
        }
        Alt {
            at: at as u32,
            len: (self.syl.len() - at) as u32,
            text_at: text_at as u32,
            text_len: text_len as u32,
        }
    }

    /// Keep an alternative outside any word's list of alternatives (a
    /// surname reading): its index, or [`NO_ALT`].
    fn keep(&mut self, a: Option<Alt>) -> u32 {
        match a {
            Some(a) => {
                self.alts.push(a);
                (self.alts.len() - 1) as u32
            }
            None => NO_ALT,
        }
    }

    /// Span of the alternatives added since `start`.
    fn since(&self, start: usize) -> Span {
        Span {
            at: start as u32,
            n: (self.alts.len() - start) as u32,
        }
    }
}

/// A word of a name; its readings are spans of an [`Arena`] (the memo's
/// when `memo`, else the reader's scratch arena).
///
/// Kept small (64 bytes; it was 128): the memo holds one per Latin word
/// and every name copies its words out of it. Surname readings are
/// indices in the arena's alternatives, the typo kind an index in
/// [`TYPO_KINDS`].
#[derive(Debug, Clone, Copy)]
struct Word {
    script: Script,
    memo: bool,
    /// A Latin word that cannot be read, corrected for one typing error:
    /// the readings of the corrections (flagged `TYPO`, at most
    /// `MAX_CANDS`), stored right after `alts` (0 when the word reads as it
    /// is or no unambiguous correction exists); see [`Word::typo_alts`].
    n_typo: u8,
    /// What the correction was, for explanations: 1 + its index in
    /// [`TYPO_KINDS`] (0: none).
    typo: u8,
    /// First letter of the next word (a Latin word's reading depends on it).
    tail: Option<u8>,
    /// Length in characters (Hangul/Han; at most `MAX_CHARS`).
    n_chars: u16,
    /// Syllable sequences this word can be read as.
    alts: Span,
    /// Masks when the word is read as a surname (known surname): index in
    /// the arena's alternatives ([`NO_ALT`]: none).
    surname: u32,
    /// Latin word read as the pinyin of a Chinese surname (Jin, Piao), as
    /// `surname`.
    pinyin_surname: u32,
    /// Frequency rank of that surname (0 = most common).
    surname_rank: Option<u32>,
    /// Latin letters (for the pinyin reading and explanations).
    letters: Span,
    /// Latin word cut into pinyin syllables (≤ 4 ways).
    pinyin: Span,
    /// Original text (Hangul/Han), only when explaining.
    chars: Span,
    /// Its first two characters (the surname of a one-word name is found
    /// there, with `n_chars`).
    head: [char; 2],
}

/// `Word::surname` and `Word::pinyin_surname` of a word without one.
const NO_ALT: u32 = u32::MAX;

/// The kinds of typing error [`correct_typo`] corrects, in the order tried.
const TYPO_KINDS: [&str; 4] = [
    "two letters swapped",
    "one letter too many",
    "one letter missing",
    "one letter wrong",
];

impl Word {
    fn alts<'a>(&self, ar: &'a Arena) -> &'a [Alt] {
        ar.list(self.alts)
    }

    /// `alts` followed by the corrections' readings; empty without them.
    fn typo_alts<'a>(&self, ar: &'a Arena) -> &'a [Alt] {
        ar.list(self.typo_span())
    }

    /// The span of [`Word::typo_alts`].
    fn typo_span(&self) -> Span {
        if self.n_typo == 0 {
            return Span::default();
        }
        Span {
            at: self.alts.at,
            n: self.alts.n + u32::from(self.n_typo),
        }
    }

    /// The surname reading, if any.
    fn surname<'a>(&self, ar: &'a Arena) -> Option<&'a Alt> {
        ar.alts.get(self.surname as usize)
    }

    /// The pinyin surname reading, if any.
    fn pinyin_surname<'a>(&self, ar: &'a Arena) -> Option<&'a Alt> {
        ar.alts.get(self.pinyin_surname as usize)
    }

    /// The kind of typing error corrected, if any.
    fn typo(&self) -> Option<&'static str> {
        TYPO_KINDS
            .get(usize::from(self.typo).wrapping_sub(1))
            .copied()
    }
}

/// The two arenas a name's words live in.
#[derive(Clone, Copy)]
struct Arenas<'a> {
    memo: &'a Arena,
    scratch: &'a Arena,
}

impl<'a> Arenas<'a> {
    fn of(&self, w: &Word) -> &'a Arena {
        if w.memo { self.memo } else { self.scratch }
    }
}

/// The candidates of one name as they are found, in fixed arrays (texts
/// and typo descriptions only when explaining); the key path reuses one
/// per thread and allocates only the key.
pub(crate) struct Cands {
    n: usize,
    len: [u8; CAND_CAP],
    n_sur: [u8; CAND_CAP],
    kind: [Kind; CAND_CAP],
    surname_last: [bool; CAND_CAP],
    syl: [[u64; MAX_SYL]; CAND_CAP],
    /// Texts and corrected typo per candidate (only when explaining).
    text: Vec<(Vec<String>, Option<String>)>,
}

/// Most pinyin readings of one Latin word.
const MAX_PINYIN_CANDS: usize = 4;

/// Candidates of a name: up to `MAX_CANDS` Korean readings and
/// `MAX_PINYIN_CANDS` pinyin ones.
const CAND_CAP: usize = MAX_CANDS + MAX_PINYIN_CANDS;

impl Cands {
    pub(crate) fn new() -> Cands {
        Cands {
            n: 0,
            len: [0; CAND_CAP],
            n_sur: [0; CAND_CAP],
            kind: [Kind::Korean; CAND_CAP],
            surname_last: [false; CAND_CAP],
            syl: [[0; MAX_SYL]; CAND_CAP],
            text: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.n
    }

    fn clear(&mut self) {
        self.n = 0;
        self.text.clear();
    }

    /// Each candidate: (syllables, syllables of the surname, kind).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u64], usize, Kind)> {
        (0..self.n).map(|i| {
            (
                &self.syl[i][..usize::from(self.len[i])],
                usize::from(self.n_sur[i]),
                self.kind[i],
            )
        })
    }

    /// Add a candidate (initial-sound rule at the starts of surname and
    /// given name) unless it is already there; whether it was added.
    fn push(
        &mut self,
        syl: &[u64],
        n_sur: usize,
        kind: Kind,
        text: Vec<String>,
        surname_last: bool,
        explain: bool,
    ) -> bool {
        let len = syl.len().min(MAX_SYL);
        let Some(slot) = self.slot() else {
            return false;
        };
        slot[..len].copy_from_slice(&syl[..len]);
        self.commit(len, n_sur, kind, text, surname_last, explain)
    }

    /// Where the next candidate's syllables are written before
    /// [`Cands::commit`] (`None` when there is no room).
    fn slot(&mut self) -> Option<&mut [u64; MAX_SYL]> {
        self.syl.get_mut(self.n)
    }

    /// Add the candidate of `len` syllables written to [`Cands::slot`]
    /// (initial-sound rule at the starts of surname and given name) unless
    /// it is already there; whether it was added.
    fn commit(
        &mut self,
        len: usize,
        n_sur: usize,
        kind: Kind,
        text: Vec<String>,
        surname_last: bool,
        explain: bool,
    ) -> bool {
        let len = len.min(MAX_SYL);
        if len == 0 || self.n >= CAND_CAP {
            return false;
        }
        let n_sur = n_sur.min(len);
        let i = self.n;
        let (done, rest) = self.syl.split_at_mut(i);
        let s = &mut rest[0][..len];
        s[0] = word_start(s[0]) | WORDSTART;
        if let Some(m) = s.get_mut(n_sur) {
            *m = word_start(*m) | WORDSTART;
        }
        let dup = done.iter().enumerate().any(|(j, d)| {
            usize::from(self.n_sur[j]) == n_sur && d[..usize::from(self.len[j])] == *s
        });
        if dup {
            return false;
        }
        self.len[i] = len as u8;
        self.n_sur[i] = n_sur as u8;
        self.kind[i] = kind;
        self.surname_last[i] = surname_last;
        if explain {
            self.text.push((text, None));
        }
        self.n += 1;
        true
    }

    fn into_vec(self) -> Vec<Cand> {
        let mut text = self.text.into_iter();
        (0..self.n)
            .map(|i| {
                let (text, typo) = text.next().unwrap_or_default();
                Cand {
                    syl: self.syl[i][..usize::from(self.len[i])].to_vec(),
                    n_sur: usize::from(self.n_sur[i]),
                    kind: self.kind[i],
                    text,
                    surname_last: self.surname_last[i],
                    typo,
                }
            })
            .collect()
    }
}

fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn opaque(bytes: impl IntoIterator<Item = u8>) -> u64 {
    OPAQUE | (fnv(bytes) & 0xFFFF_FFFF)
}

// ---------------------------------------------------------------- Latin --

/// A spelling of an initial, vowel or final and the jamo it stands for.
struct Spelling {
    s: &'static [u8],
    m: u64,
}

macro_rules! sp {
    ($s:literal, $m:expr) => {
        Spelling { s: $s, m: $m }
    };
}

use ini as I;
use vow as V;

/// Initial consonant spellings of RR, MR, the DPRK system and common
/// informal spellings, longest first.
static ONSETS: &[Spelling] = &[
    sp!(b"tch", ib(I::JJ) | ib(I::J)),
    sp!(b"chh", ib(I::CH)),
    sp!(b"jj", ib(I::JJ) | ib(I::J)),
    sp!(b"ch", ib(I::J) | ib(I::CH) | ib(I::JJ)),
    sp!(b"kk", ib(I::GG) | ib(I::G)),
    sp!(b"gg", ib(I::GG) | ib(I::G)),
    sp!(b"kh", ib(I::K)),
    sp!(b"tt", ib(I::DD) | ib(I::D)),
    sp!(b"dd", ib(I::DD) | ib(I::D)),
    sp!(b"th", ib(I::T)),
    sp!(b"pp", ib(I::BB) | ib(I::B)),
    sp!(b"bb", ib(I::BB) | ib(I::B)),
    sp!(b"ph", ib(I::P)),
    sp!(b"ss", ib(I::SS) | ib(I::S)),
    sp!(b"sh", ib(I::S)),
    sp!(b"rh", ib(I::R)),
    sp!(b"g", ib(I::G) | ib(I::GG)),
    sp!(b"k", ib(I::G) | ib(I::K) | ib(I::GG)),
    sp!(b"n", ib(I::N)),
    sp!(b"d", ib(I::D) | ib(I::DD)),
    sp!(b"t", ib(I::D) | ib(I::T) | ib(I::DD)),
    sp!(b"r", ib(I::R)),
    sp!(b"l", ib(I::R) | ib(I::N)),
    sp!(b"m", ib(I::M)),
    sp!(b"b", ib(I::B) | ib(I::BB)),
    sp!(b"p", ib(I::B) | ib(I::P) | ib(I::BB)),
    sp!(b"f", ib(I::P) | ib(I::B)),
    sp!(b"v", ib(I::B)),
    sp!(b"s", ib(I::S) | ib(I::SS)),
    sp!(b"j", ib(I::J) | ib(I::JJ)),
    sp!(b"z", ib(I::J)),
    sp!(b"h", ib(I::H)),
    sp!(b"", ib(I::NG)),
];

/// Vowel spellings, longest first. Each stands for every vowel it is used
/// for in some system or in common practice (Jung = 정, Hyun = 현, Hee = 희).
static VOWELS: &[Spelling] = &[
    sp!(b"yeo", vb(V::YEO)),
    sp!(b"yae", vb(V::YAE) | vb(V::YE)),
    sp!(b"wae", vb(V::WAE) | vb(V::WE) | vb(V::OE)),
    sp!(b"weo", vb(V::WO)),
    sp!(b"eui", vb(V::UI)),
    sp!(b"yoo", vb(V::YU)),
    sp!(b"you", vb(V::YU) | vb(V::YEO)),
    sp!(b"woo", vb(V::U)),
    sp!(b"wee", vb(V::WI)),
    sp!(b"ae", vb(V::AE) | vb(V::E)),
    sp!(b"ai", vb(V::AE) | vb(V::E)),
    sp!(b"ya", vb(V::YA)),
    sp!(b"eo", vb(V::EO)),
    sp!(b"ye", vb(V::YE) | vb(V::YAE)),
    sp!(b"yo", vb(V::YO) | vb(V::YEO)),
    sp!(b"yu", vb(V::YU) | vb(V::YEO)),
    sp!(b"wa", vb(V::WA)),
    sp!(b"wo", vb(V::WO)),
    sp!(b"we", vb(V::WE) | vb(V::WAE) | vb(V::OE)),
    sp!(b"wi", vb(V::WI)),
    sp!(b"oe", vb(V::OE) | vb(V::WE)),
    sp!(b"oi", vb(V::OE)),
    sp!(b"oy", vb(V::OE)),
    sp!(b"eu", vb(V::EU)),
    sp!(b"ui", vb(V::UI) | vb(V::WI)),
    sp!(b"oo", vb(V::U)),
    sp!(b"ou", vb(V::U)),
    sp!(b"ee", vb(V::I) | vb(V::UI)),
    sp!(b"yi", vb(V::I) | vb(V::UI)),
    sp!(b"a", vb(V::A)),
    sp!(b"e", vb(V::E) | vb(V::AE)),
    sp!(b"o", vb(V::O) | vb(V::EO)),
    sp!(b"u", vb(V::U) | vb(V::EU) | vb(V::EO)),
    sp!(b"i", vb(V::I) | vb(V::UI)),
];

/// Final consonant spellings, longest first ("" = no final).
static CODAS: &[Spelling] = &[
    sp!(b"ng", fb(fc::NG)),
    sp!(b"kk", fb(fc::K)),
    sp!(b"ck", fb(fc::K)),
    sp!(b"rk", fb(fc::K)),
    sp!(b"ll", fb(fc::L)),
    sp!(b"tt", fb(fc::T)),
    sp!(b"ss", fb(fc::T)),
    sp!(b"ch", fb(fc::T)),
    sp!(b"k", fb(fc::K)),
    sp!(b"g", fb(fc::K)),
    sp!(b"n", fb(fc::N)),
    sp!(b"l", fb(fc::L)),
    sp!(b"r", fb(fc::L)),
    sp!(b"m", fb(fc::M)),
    sp!(b"p", fb(fc::P)),
    sp!(b"b", fb(fc::P)),
    sp!(b"t", fb(fc::T)),
    sp!(b"d", fb(fc::T)),
    sp!(b"s", fb(fc::T)),
    sp!(b"j", fb(fc::T)),
    sp!(b"", fb(fc::NONE)),
];

const HYPHEN: u8 = b'-';

fn is_vowel_letter(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w')
}

/// Informal spellings rewritten before syllabification: "wh" → "hw"
/// (Whang = Hwang), and an h after a vowel that closes a syllable is silent
/// (Ahn, Oh, Kahng, Uhm, Suh).
fn preprocess(word: &[u8], w: &mut WordBuf) {
    w.clear();
    if word.len() > 2 * MAX_WORD {
        // Too long to be cut into syllables anyway.
        return;
    }
    let mut i = 0;
    while i < word.len() {
        let b = word[i];
        if b == b'w'
            && word.get(i + 1) == Some(&b'h')
            && word.get(i + 2).is_some_and(|&c| is_vowel_letter(c))
        {
            w.extend_from_slice(b"hw");
            i += 2;
            continue;
        }
        if b == b'h'
            && i > 0
            && matches!(word[i - 1], b'a' | b'e' | b'i' | b'o' | b'u')
            && !word.get(i + 1).is_some_and(|&c| is_vowel_letter(c))
        {
            // "uh" closing a syllable is ㅓ (Suh 서, Huh 허, Uhm 엄, Yuh 여).
            if word[i - 1] == b'u' && !(i >= 2 && matches!(word[i - 2], b'o' | b'e')) {
                if let Some(last) = w.last_mut() {
                    *last = b'e';
                }
                w.push(b'o');
            }
            i += 1;
            continue;
        }
        w.push(b);
        i += 1;
    }
}

/// A Latin word after [`preprocess`], on the stack (it can grow by one
/// letter per "uh", so twice the longest word that is cut into syllables).
pub(crate) struct WordBuf {
    b: [u8; 4 * MAX_WORD + 2],
    n: usize,
}

impl WordBuf {
    fn new() -> WordBuf {
        WordBuf {
            b: [0; 4 * MAX_WORD + 2],
            n: 0,
        }
    }
    fn clear(&mut self) {
        self.n = 0;
    }
    fn push(&mut self, x: u8) {
        if let Some(slot) = self.b.get_mut(self.n) {
            *slot = x;
            self.n += 1;
        }
    }
    fn extend_from_slice(&mut self, xs: &[u8]) {
        for &x in xs {
            self.push(x);
        }
    }
    fn last_mut(&mut self) -> Option<&mut u8> {
        self.n.checked_sub(1).and_then(|i| self.b.get_mut(i))
    }
    fn as_slice(&self) -> &[u8] {
        &self.b[..self.n]
    }
}

/// All ways of cutting `w` (letters and hyphens) into syllables, at most
/// `MAX_CANDS`, appended to the arena's alternatives. Hyphens must fall
/// between syllables. `tail` is the first letter of the next word (for
/// sound changes across a space).
fn syllabify(w: &[u8], tail: Option<u8>, explain: bool, ar: &mut Arena) -> Span {
    let start = ar.alts.len();
    if w.len() > 2 * MAX_WORD || w.iter().filter(|&&b| b != HYPHEN).count() > MAX_WORD {
        return ar.since(start);
    }
    cut(w, tail, explain, ar);
    // English-style silent final e (Paik Nam-june): also read without it.
    if let [.., v, c, b'e'] = w {
        if is_vowel_letter(*v)
            && !is_vowel_letter(*c)
            && *c != HYPHEN
            && ar.alts.len() - start < MAX_CANDS
        {
            let mid = ar.alts.len();
            cut(&w[..w.len() - 1], tail, explain, ar);
            // Keep the new cuts that are not there yet, `MAX_CANDS` in all.
            let mut keep = mid;
            for k in mid..ar.alts.len() {
                let a = ar.alts[k];
                let seen = ar.alts[start..keep].iter().any(|&o| ar.syl(o) == ar.syl(a));
                if keep - start < MAX_CANDS && !seen {
                    ar.alts[keep] = a;
                    keep += 1;
                }
            }
            ar.alts.truncate(keep);
        }
    }
    ar.since(start)
}

/// One way a syllable can be spelled from a position: its mask (with the
/// sound changes that depend on the next letter), where it ends and where
/// the next syllable starts (hyphens skipped).
#[derive(Clone, Copy)]
struct Opt {
    mask: u64,
    end: u8,
    next: u8,
    /// The onset is "n" (ㄹ heard as ㄴ after a closed syllable or at the
    /// start: the walk adds ㄹ).
    n_onset: bool,
    /// The syllable has a final consonant.
    closed: bool,
}

const MAX_LEN: usize = 2 * MAX_WORD + 1;

/// For each spelling table and each pair of letters (27 × 27: a letter or
/// anything else), the entries that can be spelled from a position starting
/// with those letters, as a bit set in table order (bit i = entry i; the
/// tables have fewer than 64 entries). Three-letter spellings (`*3`) also
/// need their third letter checked.
struct Index {
    on: Vec<u64>,
    v: Vec<u64>,
    co: Vec<u64>,
    on3: u64,
    v3: u64,
    co3: u64,
}

fn index() -> &'static Index {
    static IDX: OnceLock<Index> = OnceLock::new();
    IDX.get_or_init(|| {
        let build = |t: &[Spelling]| -> (Vec<u64>, u64) {
            let mut sets = vec![0u64; 27 * 27];
            let mut three = 0u64;
            for (i, sp) in t.iter().enumerate().take(64) {
                if sp.s.len() >= 3 {
                    three |= 1 << i;
                }
                for c0 in 0..27u8 {
                    for c1 in 0..27u8 {
                        let letter_ok =
                            |k: usize, c: u8| sp.s.get(k).is_none_or(|&b| c < 26 && b == b'a' + c);
                        if letter_ok(0, c0) && letter_ok(1, c1) {
                            sets[usize::from(c0) * 27 + usize::from(c1)] |= 1 << i;
                        }
                    }
                }
            }
            (sets, three)
        };
        let (on, on3) = build(ONSETS);
        let (v, v3) = build(VOWELS);
        let (co, co3) = build(CODAS);
        Index {
            on,
            v,
            co,
            on3,
            v3,
            co3,
        }
    })
}

/// The index of the lowest set bit of `mask`, cleared from it; `None`
/// once the mask is empty (the option sets of the planner are bit masks).
#[inline]
fn take_lowest(mask: &mut u64) -> Option<usize> {
    if *mask == 0 {
        return None;
    }
    let i = mask.trailing_zeros() as usize;
    *mask &= *mask - 1;
    Some(i)
}

/// The entries of `table` spelled at position `p` of the padded word `wp`.
#[inline]
fn fitting(table: &[Spelling], sets: &[u64], three: u64, wp: &[u8], p: usize) -> u64 {
    let b = |k: usize| wp.get(p + k).copied().unwrap_or(0);
    let mut m = sets
        .get(letter(b(0)) * 27 + letter(b(1)))
        .copied()
        .unwrap_or(0);
    let mut long = m & three;
    while let Some(i) = take_lowest(&mut long) {
        if table.get(i).and_then(|sp| sp.s.get(2)) != Some(&b(2)) {
            m &= !(1 << i);
        }
    }
    m
}

/// The cuts of a Latin word into syllables (at most `MAX_CANDS` ways), as
/// masks; empty when the word reads as no Korean syllables.
pub(crate) fn latin_cuts(letters: &[u8]) -> Vec<Vec<u64>> {
    let mut buf = WordBuf::new();
    preprocess(letters, &mut buf);
    let mut ar = Arena::default();
    let s = syllabify(buf.as_slice(), None, false, &mut ar);
    ar.list(s).iter().map(|&a| ar.syl(a).to_vec()).collect()
}

/// Hangul syllables a syllable mask stands for: every initial and vowel
/// allowed, one final per final class (ㄱ ㄴ ㄷ ㄹ ㅁ ㅂ ㅇ or none).
pub(crate) fn mask_syllables(m: u64) -> Vec<Syllable> {
    const FINS: [u8; 8] = [
        fin::NONE,
        fin::G,
        fin::N,
        fin::D,
        fin::L,
        fin::M,
        fin::B,
        fin::NG,
    ];
    let mut out = Vec::new();
    if m & OPAQUE != 0 {
        return out;
    }
    for i in 0..19u8 {
        if m & ib(i) == 0 {
            continue;
        }
        for v in 0..21u8 {
            if m & vb(v) == 0 {
                continue;
            }
            for (c, &f) in FINS.iter().enumerate() {
                if m & fb(c as u8) != 0 {
                    out.extend(Syllable::new(i, v, f));
                }
            }
        }
    }
    out
}

/// Slots of a plan's options: `OPTS_AT` per position of a word.
const PLAN_SLOTS: usize = (MAX_LEN + 1) * OPTS_AT;

const NO_OPT: Opt = Opt {
    mask: 0,
    end: 0,
    next: 0,
    n_onset: false,
    closed: false,
};

/// Run `f` with this thread's slots of plan options (`PLAN_SLOTS`, never
/// cleared: [`plan`] and [`pinyin_split`] read only the slots they wrote;
/// neither runs inside the other).
fn with_plan_opts<T: Default>(f: impl FnOnce(&mut [Opt]) -> T) -> T {
    thread_local! {
        static SLOTS: std::cell::RefCell<Vec<Opt>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut f = Some(f);
    let done = SLOTS
        .try_with(|o| {
            let mut opts = o.try_borrow_mut().ok()?;
            if opts.len() < PLAN_SLOTS {
                opts.resize(PLAN_SLOTS, NO_OPT);
            }
            f.take().map(|f| f(&mut opts))
        })
        .ok()
        .flatten();
    match (done, f) {
        (Some(x), _) => x,
        (None, Some(f)) => f(&mut vec![NO_OPT; PLAN_SLOTS]),
        (None, None) => T::default(),
    }
}

/// Cut `w` into syllables (all ways, at most `MAX_CANDS`), appending to the
/// arena's alternatives.
fn cut(w: &[u8], tail: Option<u8>, explain: bool, ar: &mut Arena) {
    with_plan_opts(|opts| cut_with(w, tail, explain, ar, opts));
}

/// The syllable options of the positions of `w` that a cut can reach (see
/// [`plan`]).
struct Plan {
    range: [(u16, u16); MAX_LEN + 1],
    /// Fewest syllables the rest can be cut into from a position
    /// (`u8::MAX`: it cannot be cut; [`UNSEEN`]: not looked at, as no cut
    /// reaches it).
    min_syl: [u8; MAX_LEN + 1],
    start: usize,
}

/// `Plan::min_syl` of a position not looked at yet.
const UNSEEN: u8 = u8::MAX - 1;

/// Most options at one position: at most three onsets, three vowels and
/// three finals fit at a position (e.g. "tch" / "t" / "", "eui" / "eu" /
/// "e", "ng" / "n" / ""); a test checks the bound against the tables.
const OPTS_AT: usize = 32;

/// The word as [`plan_at`] reads it.
struct PlanWord<'a> {
    w: &'a [u8],
    /// The word padded with zeros (no spelling contains 0), so that the
    /// letters after any position can be read.
    wp: [u8; MAX_LEN + 4],
    /// Next position that is not a hyphen.
    skip: [u8; MAX_LEN + 1],
    tail: Option<u8>,
    idx: &'static Index,
}

/// Options per position, keeping only those after which the rest can be
/// cut too (so enumeration never meets a dead end), for the positions a
/// cut can reach from the start only: each is planned when an option
/// first ends there (a position inside a syllable, such as the "h" of
/// "chol", is never looked at). The spellings at a position come from
/// [`index`] as bit sets, by its first two letters; a position's options
/// are in the same order as before (onsets, then vowels, then finals, in
/// table order), so cuts are enumerated in the same order.
fn plan(w: &[u8], tail: Option<u8>, opts: &mut [Opt], p: &mut Plan) -> bool {
    let n = w.len();
    if n > 2 * MAX_WORD {
        return false;
    }
    let mut pw = PlanWord {
        w,
        wp: [0u8; MAX_LEN + 4],
        skip: [n as u8; MAX_LEN + 1],
        tail,
        idx: index(),
    };
    pw.wp[..n].copy_from_slice(w);
    for q in (0..n).rev() {
        pw.skip[q] = if w[q] == HYPHEN {
            pw.skip[q + 1]
        } else {
            q as u8
        };
    }
    p.start = usize::from(pw.skip[0]);
    p.min_syl[n] = 0;
    p.start < n && plan_at(&pw, p.start, opts, p) != u8::MAX
}

/// Plan position `pos` (not a hyphen, before the end) and, first, every
/// position its options lead to; its fewest syllables.
fn plan_at(pw: &PlanWord, pos: usize, opts: &mut [Opt], p: &mut Plan) -> u8 {
    let seen = p.min_syl[pos];
    if seen != UNSEEN {
        return seen;
    }
    let (w, wp, idx) = (pw.w, &pw.wp, pw.idx);
    let n = w.len();
    // This position's options go to its own slots: planning a later
    // position (below) writes to that position's slots meanwhile.
    let lo = pos * OPTS_AT;
    let mut k = 0;
    let mut best = u8::MAX;
    let mut ons = fitting(ONSETS, &idx.on, idx.on3, wp, pos);
    while let Some(oi) = take_lowest(&mut ons) {
        let on = &ONSETS[oi];
        let vpos = pos + on.s.len();
        let mut vs = fitting(VOWELS, &idx.v, idx.v3, wp, vpos);
        while let Some(vi) = take_lowest(&mut vs) {
            let v = &VOWELS[vi];
            let cpos = vpos + v.s.len();
            let mut cos = fitting(CODAS, &idx.co, idx.co3, wp, cpos);
            while let Some(ci) = take_lowest(&mut cos) {
                let co = &CODAS[ci];
                let end = cpos + co.s.len();
                let next = pw.skip.get(end).map_or(n, |&x| usize::from(x));
                let rest = if next < n {
                    plan_at(pw, next, opts, p)
                } else {
                    0
                };
                if rest == u8::MAX || k == OPTS_AT {
                    continue;
                }
                best = best.min(rest.saturating_add(1));
                let mut cm = co.m;
                // The next word's letter matters only as n, m or l
                // (`tail_class` relies on it).
                let nb = if next < n { Some(w[next]) } else { pw.tail };
                // Nasalized finals written by MR before n/m (박명
                // Pang-myŏng) and ㄴ written l before l (신라 Sil-la).
                if matches!(nb, Some(b'n') | Some(b'm')) {
                    match co.s {
                        b"ng" => cm |= fb(fc::K),
                        b"m" => cm |= fb(fc::P),
                        b"n" => cm |= fb(fc::T),
                        _ => {}
                    }
                }
                if nb == Some(b'l') && co.s == b"l" {
                    cm |= fb(fc::N);
                }
                // "u" stands for ㅓ only in closed syllables (Jung, Sung,
                // Chun, Bum); "Suh", "Huh", "Uhm" come through preprocess.
                let vm = if v.s == b"u" && co.s.is_empty() {
                    v.m & !vb(V::EO)
                } else {
                    v.m
                };
                if let Some(slot) = opts.get_mut(lo + k) {
                    *slot = Opt {
                        mask: on.m | vm | cm,
                        end: end as u8,
                        next: next as u8,
                        n_onset: on.s == b"n",
                        closed: !co.s.is_empty(),
                    };
                    k += 1;
                }
            }
        }
    }
    p.range[pos] = (lo as u16, (lo + k) as u16);
    p.min_syl[pos] = best;
    best
}

impl Plan {
    /// A plan to be filled by [`plan`] (which sets every entry it reads).
    fn new() -> Plan {
        Plan {
            range: [(0, 0); MAX_LEN + 1],
            min_syl: [UNSEEN; MAX_LEN + 1],
            start: 0,
        }
    }
}

/// Whether [`cut`] finds at least one way to cut `w` (it keeps cuts of
/// fewer than `MAX_SYL` syllables).
fn cuts_at_all(w: &[u8]) -> bool {
    let mut p = Plan::new();
    with_plan_opts(|opts| plan(w, None, opts, &mut p) && usize::from(p.min_syl[p.start]) < MAX_SYL)
}

fn cut_with(w: &[u8], tail: Option<u8>, explain: bool, ar: &mut Arena, opts: &mut [Opt]) {
    let mut p = Plan::new();
    if !plan(w, tail, opts, &mut p) {
        return;
    }
    let mut st = Walk {
        w,
        opts,
        range: &p.range,
        explain,
        base: ar.alts.len(),
        cap: MAX_CANDS,
        cur: [0; MAX_SYL],
        len: 0,
        text: Vec::new(),
    };
    walk(&mut st, p.start, false, ar);
}

/// State of the enumeration of cuts: the syllables so far on the stack.
struct Walk<'a> {
    w: &'a [u8],
    opts: &'a [Opt],
    range: &'a [(u16, u16)],
    explain: bool,
    /// Where this word's alternatives start in the arena.
    base: usize,
    /// Most alternatives this walk appends.
    cap: usize,
    cur: [u64; MAX_SYL],
    len: usize,
    text: Vec<String>,
}

fn walk(st: &mut Walk, pos: usize, prev_nonempty: bool, ar: &mut Arena) {
    // Monomorphized on explaining (texts kept or not).
    if st.explain {
        walk_as::<true>(st, pos, prev_nonempty, ar)
    } else {
        walk_as::<false>(st, pos, prev_nonempty, ar)
    }
}

fn walk_as<const EXPLAIN: bool>(st: &mut Walk, pos: usize, prev_nonempty: bool, ar: &mut Arena) {
    if ar.alts.len() - st.base >= st.cap || st.len >= MAX_SYL {
        return;
    }
    let w = st.w;
    if pos >= w.len() {
        if st.len > 0 {
            let text = if EXPLAIN { st.text.clone() } else { Vec::new() };
            let a = ar.alt(st.cur[..st.len].iter().copied(), text);
            ar.alts.push(a);
        }
        return;
    }
    let (lo, hi) = st.range[pos];
    for k in usize::from(lo)..usize::from(hi) {
        let o = st.opts[k];
        // Sound changes MR writes across a syllable boundary: 응렬 ŭng-nyŏl,
        // 신라 Silla (ㄹ heard as ㄴ and the reverse).
        let r = if o.n_onset && (prev_nonempty || pos == 0) {
            ib(I::R)
        } else {
            0
        };
        st.cur[st.len] = o.mask | r;
        st.len += 1;
        if EXPLAIN {
            st.text
                .push(String::from_utf8_lossy(&w[pos..usize::from(o.end)]).into_owned());
        }
        walk_as::<EXPLAIN>(st, usize::from(o.next), o.closed, ar);
        st.len -= 1;
        if EXPLAIN {
            st.text.pop();
        }
        if ar.alts.len() - st.base >= st.cap {
            return;
        }
    }
}

// --------------------------------------------------------------- pinyin --

struct PinyinTable {
    /// Syllable → mask word (union of readings, PINYIN flag, id).
    masks: HashMap<u64, u64>,
    /// Id → masks of the Hangul readings (index 0 unused).
    sets: Vec<Vec<u64>>,
    /// For the first two letters of a syllable (27 × 27, the second 26 for
    /// a one-letter syllable): bit L set when some syllable of L letters
    /// starts so. Most positions of a Korean spelling start no pinyin
    /// syllable, and this skips their hash look-ups.
    lens: Vec<u8>,
}

/// Index of a lower-case letter (0–25), 26 for any other byte.
#[inline]
fn letter(b: u8) -> usize {
    usize::from(LETTER[usize::from(b)])
}

static LETTER: [u8; 256] = {
    let mut t = [26u8; 256];
    let mut c = 0;
    while c < 26 {
        t[b'a' as usize + c] = c as u8;
        c += 1;
    }
    t
};

fn pinyin_table() -> &'static PinyinTable {
    static P: OnceLock<PinyinTable> = OnceLock::new();
    P.get_or_init(|| {
        let t = tables();
        let mut readings: HashMap<String, Vec<Syllable>> = HashMap::default();
        for (p, rs) in &t.pinyin_readings {
            let mut keys = vec![(*p).to_string()];
            if p.contains('v') {
                keys.push(p.replace('v', "u"));
            }
            for k in keys {
                let e = readings.entry(k).or_default();
                for r in rs {
                    if !e.contains(r) {
                        e.push(*r);
                    }
                }
            }
        }
        let mut names: Vec<String> = readings.keys().cloned().collect();
        names.sort();
        let mut masks = HashMap::default();
        let mut sets = vec![Vec::new()];
        let mut lens = vec![0u8; 27 * 27];
        for name in names {
            let b = name.as_bytes();
            if let Some(&c0) = b.first() {
                let c1 = b.get(1).map_or(26, |&c| letter(c));
                if let Some(l) = lens.get_mut(letter(c0) * 27 + c1) {
                    *l |= 1 << b.len().min(7);
                }
            }
            let id = sets.len() as u64;
            if id > 0x7FF {
                break;
            }
            let rs: Vec<u64> = readings[&name]
                .iter()
                .map(|&s| syllable_mask(s) & !EXACT)
                .collect();
            let union = rs.iter().fold(0u64, |a, &m| a | m);
            masks.insert(pack(name.as_bytes()), union | PINYIN | (id << ID_SHIFT));
            sets.push(rs);
        }
        PinyinTable { masks, sets, lens }
    })
}

/// A short lower-case ASCII string (≤ 7 bytes) packed into one integer key.
#[inline]
fn pack(b: &[u8]) -> u64 {
    b.iter()
        .take(7)
        .fold(b.len().min(7) as u64, |k, &c| (k << 8) | u64::from(c))
}

fn pinyin_masks() -> &'static PinyinTable {
    pinyin_table()
}

/// All ways (≤ 4) of reading `w` as pinyin syllables, appended to the
/// arena's alternatives.
fn pinyin_split(w: &[u8], explain: bool, ar: &mut Arena) -> Span {
    let start = ar.alts.len();
    let map = pinyin_masks();
    let mut letters = [0u8; MAX_WORD];
    let mut n = 0;
    for &b in w {
        if b != HYPHEN {
            if n == MAX_WORD {
                return ar.since(start);
            }
            letters[n] = b;
            n += 1;
        }
    }
    let l = &letters[..n];
    if l.is_empty() {
        return ar.since(start);
    }
    // Syllables that leave a parsable rest, so that the walk never meets a
    // dead end; found from the start, only at the positions a reading
    // reaches (most Korean spellings fail at their first letters), each
    // position's in its own slots of the plan buffer; `range[pos]` indexes
    // them.
    with_plan_opts(|hits| {
        let mut range = [(0u16, 0u16); MAX_WORD + 1];
        let mut state = [PinyinPos::Unseen; MAX_WORD + 1];
        if !pinyin_at(l, 0, map, hits, &mut range, &mut state) {
            return;
        }
        // The same walk as the Korean cuts: pinyin hits have no ㄹ/ㄴ onset
        // and end where the next syllable starts.
        let mut g = Walk {
            w: l,
            opts: hits,
            range: &range,
            explain,
            base: start,
            cap: MAX_PINYIN_CANDS,
            cur: [0; MAX_SYL],
            len: 0,
            text: Vec::new(),
        };
        walk(&mut g, 0, false, ar);
    });
    ar.since(start)
}

/// Whether the rest of a word from a position reads as pinyin (see
/// [`pinyin_at`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PinyinPos {
    Unseen,
    Reads,
    Not,
}

/// Longest pinyin syllable, and the slots a position has in the plan
/// buffer for its syllables (one per length).
const PINYIN_LONGEST: usize = 6;

/// Whether `l[pos..]` reads as pinyin syllables; the syllables at `pos`
/// after which the rest reads too (longest first) go to `pos`'s slots of
/// `hits` and `range[pos]`, after the positions they lead to are done.
fn pinyin_at(
    l: &[u8],
    pos: usize,
    map: &PinyinTable,
    hits: &mut [Opt],
    range: &mut [(u16, u16); MAX_WORD + 1],
    state: &mut [PinyinPos; MAX_WORD + 1],
) -> bool {
    let n = l.len();
    if pos >= n {
        return true;
    }
    match state[pos] {
        PinyinPos::Reads => return true,
        PinyinPos::Not => return false,
        PinyinPos::Unseen => {}
    }
    let lo = pos * PINYIN_LONGEST;
    let mut k = 0;
    let c0 = letter(l[pos]);
    let c1 = l.get(pos + 1).map_or(26, |&c| letter(c));
    let can = map.lens[c0 * 27 + c1] | (map.lens[c0 * 27 + 26] & 0b10);
    // Lengths 6 down to 1 that some syllable starting so has.
    let mut lens = can & 0b111_1110;
    while lens != 0 {
        let len = 7 - lens.leading_zeros() as usize;
        lens &= !(1 << len);
        if pos + len > n {
            continue;
        }
        let Some(&m) = map.masks.get(&pack(&l[pos..pos + len])) else {
            continue;
        };
        if !pinyin_at(l, pos + len, map, hits, range, state) {
            continue;
        }
        if let Some(slot) = hits.get_mut(lo + k) {
            *slot = Opt {
                mask: m,
                end: (pos + len) as u8,
                next: (pos + len) as u8,
                n_onset: false,
                closed: false,
            };
            k += 1;
        }
    }
    range[pos] = (lo as u16, (lo + k) as u16);
    state[pos] = if k > 0 {
        PinyinPos::Reads
    } else {
        PinyinPos::Not
    };
    k > 0
}

// ---------------------------------------------------------------- words --

/// A surname reading outside an arena: masks and texts.
type OwnedAlt = (Vec<u64>, Vec<String>);

/// The masks (and, when explaining, the text) of a surname table entry
/// list; the masks come from a cache built once when not explaining.
fn surname_alt(
    ids: &[usize],
    explain: bool,
) -> Option<(std::borrow::Cow<'static, [u64]>, Vec<String>)> {
    use std::borrow::Cow;
    if !explain {
        if let Some(r) = surname_cache().get(&(ids.as_ptr() as usize)) {
            return r.as_deref().map(|m| (Cow::Borrowed(m), Vec::new()));
        }
    }
    surname_alt_build(ids, explain).map(|(m, t)| (Cow::Owned(m), t))
}

/// The masks of a surname table entry list (`None` when it has none).
fn surname_masks(ids: &[usize]) -> Option<&'static [u64]> {
    surname_cache()
        .get(&(ids.as_ptr() as usize))
        .and_then(|r| r.as_deref())
}

/// Masks of every entry list of the surname tables (built once), by the
/// list's address.
fn surname_cache() -> &'static HashMap<usize, Option<Vec<u64>>> {
    static CACHE: OnceLock<HashMap<usize, Option<Vec<u64>>>> = OnceLock::new();
    CACHE.get_or_init(|| {
        let t = tables();
        let mut m = HashMap::default();
        let lists = t
            .surname_by_latin
            .values()
            .chain(t.surname_by_hangul.values())
            .chain(t.surname_by_hanja.values())
            .chain(t.surname_by_pinyin.values());
        for v in lists {
            m.insert(
                v.as_ptr() as usize,
                surname_alt_build(v, false).map(|a| a.0),
            );
        }
        m
    })
}

fn surname_alt_build(ids: &[usize], explain: bool) -> Option<OwnedAlt> {
    let t = tables();
    let first = *ids.first()?;
    let len = t.surnames.get(first)?.syllables.len();
    let mut masks = vec![0u64; len];
    let mut forms: Vec<&str> = Vec::new();
    for &i in ids {
        let s = &t.surnames[i];
        if s.syllables.len() != len {
            continue;
        }
        forms.push(s.hangul);
        let north: Vec<Syllable> = s
            .north
            .map(|n| n.chars().filter_map(hangul::decompose).collect())
            .unwrap_or_default();
        for (k, m) in masks.iter_mut().enumerate() {
            if let Some(&syl) = s.syllables.get(k) {
                *m |= syllable_mask(syl);
            }
            if let Some(&syl) = north.get(k) {
                *m |= syllable_mask(syl) & !EXACT;
            }
        }
    }
    // Exact only when every entry is the same Hangul surname.
    let same = forms.windows(2).all(|w| w[0] == w[1]);
    if !same {
        for m in &mut masks {
            *m &= !EXACT;
        }
    }
    let text = if explain {
        vec![forms.first().copied().unwrap_or_default().to_string()]
    } else {
        Vec::new()
    };
    Some((masks, text))
}

fn rank(ids: Option<&Vec<usize>>) -> Option<usize> {
    ids.and_then(|v| v.iter().min().copied())
}

/// Two-syllable surnames (남궁, 황보, 제갈, 선우, 독고, 사공, 서문).
pub fn is_compound_surname(s: &[Syllable]) -> bool {
    static TWO: OnceLock<Vec<[Syllable; 2]>> = OnceLock::new();
    let two = TWO.get_or_init(|| {
        tables()
            .surnames
            .iter()
            .filter_map(|x| <[Syllable; 2]>::try_from(x.syllables.as_slice()).ok())
            .collect()
    });
    s.len() == 2 && two.iter().any(|x| x[..] == *s)
}

/// Short text on the stack for table look-ups (no allocation for names).
struct StrBuf {
    b: [u8; 64],
    n: usize,
}

impl StrBuf {
    /// `None` when the text does not fit (no surname is that long).
    fn of_chars(chars: &[char]) -> Option<StrBuf> {
        let mut s = StrBuf { b: [0; 64], n: 0 };
        for &c in chars {
            let l = c.len_utf8();
            let dst = s.b.get_mut(s.n..s.n + l)?;
            c.encode_utf8(dst);
            s.n += l;
        }
        Some(s)
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.b[..self.n]).unwrap_or("")
    }
}

fn hangul_word(chars: &[char], explain: bool, ar: &mut Arena) -> Word {
    let text = if explain {
        chars.iter().map(|c| c.to_string()).collect()
    } else {
        Vec::new()
    };
    // One mask per character (every Hangul piece is a syllable).
    ar.syl.reserve(chars.len());
    let alt = ar.alt(
        chars
            .iter()
            .filter_map(|&c| hangul::decompose(c))
            .map(syllable_mask),
        text,
    );
    if !explain {
        if let Some(rank) = hangul_surname_rank(chars) {
            return char_word(Script::Hangul, chars, alt, None, rank, explain, ar);
        }
    }
    let word = StrBuf::of_chars(chars);
    let word = word.as_ref().map_or("", StrBuf::as_str);
    let t = tables();
    let ids = t.surname_by_hangul.get(word);
    // Keep the written syllable (exact) rather than the union of forms: the
    // surname reading is the word's own, so only an explanation needs it
    // (for the text); `assemble` reads the word's `alts` otherwise.
    let surname = ids.filter(|_| explain).and_then(|ids| {
        let tx = surname_alt(ids, true)?.1;
        let m = ar.syl(alt).to_vec();
        Some(ar.alt(m, tx))
    });
    char_word(Script::Hangul, chars, alt, surname, rank(ids), explain, ar)
}

/// The surname rank of a Hangul word as the surname table gives it, from
/// a map keyed by the word's (at most two) characters, built once; the
/// outer `None` when the map cannot say (a longer word while the table
/// has longer surnames), so the caller looks the table up itself.
fn hangul_surname_rank(chars: &[char]) -> Option<Option<usize>> {
    fn key(cs: &[char]) -> Option<u64> {
        match cs {
            [a] => Some(u64::from(u32::from(*a)) | 1 << 42),
            [a, b] => Some(u64::from(u32::from(*a)) | u64::from(u32::from(*b)) << 21 | 2 << 42),
            _ => None,
        }
    }
    static M: OnceLock<(HashMap<u64, Option<usize>>, usize)> = OnceLock::new();
    let (m, longest) = M.get_or_init(|| {
        let mut m = HashMap::default();
        let mut longest = 0;
        for (k, ids) in &tables().surname_by_hangul {
            let cs: Vec<char> = k.chars().collect();
            longest = longest.max(cs.len());
            if let Some(x) = key(&cs) {
                m.insert(x, rank(Some(ids)));
            }
        }
        (m, longest)
    });
    match key(chars) {
        Some(k) => Some(m.get(&k).copied().flatten()),
        None if chars.len() > *longest => Some(None),
        None => None,
    }
}

/// A Hangul or Hanja word: one reading (`alt`), its surname reading if any.
fn char_word(
    script: Script,
    chars: &[char],
    alt: Alt,
    surname: Option<Alt>,
    surname_rank: Option<usize>,
    explain: bool,
    ar: &mut Arena,
) -> Word {
    let start = ar.alts.len();
    ar.alts.push(alt);
    let alts = ar.since(start);
    let surname = ar.keep(surname);
    let at = ar.chars.len();
    if explain {
        ar.chars.extend_from_slice(chars);
    }
    Word {
        script,
        memo: false,
        n_typo: 0,
        typo: 0,
        tail: None,
        // A word has at most `MAX_CHARS` characters.
        n_chars: chars.len().min(usize::from(u16::MAX)) as u16,
        alts,
        surname,
        pinyin_surname: NO_ALT,
        surname_rank: surname_rank.map(|r| r as u32),
        letters: Span::default(),
        pinyin: Span::default(),
        chars: Span {
            at: at as u32,
            n: (ar.chars.len() - at) as u32,
        },
        head: [
            chars.first().copied().unwrap_or('\0'),
            chars.get(1).copied().unwrap_or('\0'),
        ],
    }
}

/// The mask of a Chinese character: its one reading (exact) or the union
/// of its readings; an unknown character is opaque. Looked up in a compact
/// map of masks built once (the Unihan entries are large and slow to
/// reach).
fn han_mask(c: char) -> u64 {
    static MASKS: OnceLock<HashMap<char, u64>> = OnceLock::new();
    let m = MASKS.get_or_init(|| {
        tables()
            .hanja
            .keys()
            .map(|&c| (c, han_mask_of(c)))
            .collect()
    });
    match m.get(&c) {
        Some(&x) => x,
        None => han_mask_of(c),
    }
}

fn han_mask_of(c: char) -> u64 {
    match tables::hanja_readings(c) {
        Some(rs) if rs.len() == 1 => syllable_mask(rs[0]),
        Some(rs) => rs.iter().fold(0, |a, &s| a | syllable_mask(s)) & !EXACT,
        None => {
            let mut b = [0u8; 4];
            opaque(c.encode_utf8(&mut b).bytes())
        }
    }
}

fn han_word(chars: &[char], explain: bool, ar: &mut Arena) -> Word {
    let text = if explain {
        chars.iter().map(|c| c.to_string()).collect()
    } else {
        Vec::new()
    };
    let alt = ar.alt(chars.iter().map(|&c| han_mask(c)), text);
    let word = StrBuf::of_chars(chars);
    let word = word.as_ref().map_or("", StrBuf::as_str);
    let t = tables();
    let ids = t.surname_by_hanja.get(word);
    let surname = ids
        .and_then(|ids| surname_alt(ids, explain))
        .map(|(m, tx)| ar.alt(m.iter().copied(), tx));
    char_word(Script::Han, chars, alt, surname, rank(ids), explain, ar)
}

fn latin_word(letters: &[u8], tail: Option<u8>, explain: bool, ar: &mut Arena, memo: bool) -> Word {
    let mut buf = WordBuf::new();
    preprocess(letters, &mut buf);
    let mut alts = syllabify(buf.as_slice(), tail, explain, ar);
    let unreadable = alts.n == 0;
    if unreadable {
        let text = if explain {
            vec![String::from_utf8_lossy(letters).into_owned()]
        } else {
            Vec::new()
        };
        let start = ar.alts.len();
        let a = ar.alt(
            [opaque(letters.iter().copied().filter(|&b| b != HYPHEN))],
            text,
        );
        ar.alts.push(a);
        alts = ar.since(start);
    }
    let t = tables();
    let mut buf = [0u8; MAX_WORD];
    let mut n = 0;
    for &b in letters.iter().filter(|&&b| b != HYPHEN) {
        if n < MAX_WORD {
            buf[n] = b;
            n += 1;
        }
    }
    let plain_bytes = &buf[..n];
    if !explain {
        if let Some(k) = pack8(plain_bytes) {
            // One look-up for both surname readings (the usual case).
            let e = latin_surnames().get(&k);
            let surname = e
                .and_then(|e| e.latin)
                .map(|m| ar.alt(m.iter().map(|x| x & !EXACT), Vec::new()));
            let surname_rank = e.and_then(|e| e.rank);
            let pinyin_surname = e
                .and_then(|e| e.pinyin)
                .map(|m| ar.alt(m.iter().map(|x| (x & !EXACT) | PINYIN), Vec::new()));
            return latin_word_rest(
                letters,
                plain_bytes,
                tail,
                explain,
                ar,
                memo,
                (alts, unreadable),
                (surname, surname_rank, pinyin_surname),
            );
        }
    }
    let plain: &str = std::str::from_utf8(plain_bytes).unwrap_or("");
    let ids = t.surname_by_latin.get(plain);
    let surname = ids.and_then(|ids| surname_alt(ids, explain)).map(|(m, _)| {
        // A two-syllable surname is shown as one unit; pad texts.
        let mut tx = Vec::new();
        if explain {
            tx.push(plain.to_string());
            while tx.len() < m.len() {
                tx.push(String::new());
            }
        }
        ar.alt(m.iter().map(|x| x & !EXACT), tx)
    });
    let surname_rank = rank(ids);
    let pinyin_surname = t
        .surname_by_pinyin
        .get(plain)
        .and_then(|ids| surname_alt(ids, explain))
        .map(|(m, tx)| {
            let tx = if explain {
                vec![plain.to_string(); m.len().min(1)]
            } else {
                tx
            };
            ar.alt(m.iter().map(|x| (x & !EXACT) | PINYIN), tx)
        });
    latin_word_rest(
        letters,
        plain_bytes,
        tail,
        explain,
        ar,
        memo,
        (alts, unreadable),
        (surname, surname_rank, pinyin_surname),
    )
}

/// The rest of [`latin_word`] once the Korean cuts and surname readings
/// are known: pinyin cuts, typo corrections, the word.
#[allow(clippy::too_many_arguments)]
fn latin_word_rest(
    letters: &[u8],
    plain: &[u8],
    tail: Option<u8>,
    explain: bool,
    ar: &mut Arena,
    memo: bool,
    (alts, unreadable): (Span, bool),
    (surname, surname_rank, pinyin_surname): (Option<Alt>, Option<usize>, Option<Alt>),
) -> Word {
    let pinyin = pinyin_split(letters, explain, ar);
    // One typing error in a word that reads neither as Korean nor as pinyin
    // nor as a known surname spelling. Its corrections' readings follow the
    // word's one (opaque) alternative: nothing was added since.
    let mut n_typo = 0;
    let mut typo = 0;
    if unreadable && pinyin.n == 0 && surname.is_none() && ar.alts.len() == alts.range().end {
        let start = ar.alts.len();
        if let Some(kind) = correct_typo(plain, tail, explain, ar) {
            typo = kind + 1;
            // At most `MAX_CANDS` readings.
            n_typo = ar.since(start).n as u8;
        }
    }
    let at = ar.bytes.len();
    ar.bytes.extend_from_slice(letters);
    // Kept after the typo corrections, which must follow `alts`.
    let surname_at = ar.keep(surname);
    let pinyin_surname = ar.keep(pinyin_surname);
    Word {
        script: Script::Latin,
        memo,
        n_typo,
        typo,
        tail,
        n_chars: 0,
        alts,
        surname: surname_at,
        pinyin_surname,
        surname_rank: surname_rank.map(|r| r as u32),
        letters: Span {
            at: at as u32,
            n: letters.len() as u32,
        },
        pinyin,
        chars: Span::default(),
        head: ['\0'; 2],
    }
}

/// A Latin word of at most 8 letters as one integer key (bytes little
/// endian, zero padded); `None` when longer.
fn pack8(b: &[u8]) -> Option<u64> {
    if b.len() > 8 {
        return None;
    }
    let mut k = [0u8; 8];
    k[..b.len()].copy_from_slice(b);
    Some(u64::from_le_bytes(k))
}

/// The surname readings of a Latin spelling, as [`latin_word`] would find
/// them in the tables: the Korean surname's masks and rank, the pinyin
/// surname's masks.
struct LatinSurname {
    latin: Option<&'static [u64]>,
    rank: Option<usize>,
    pinyin: Option<&'static [u64]>,
}

/// Surname spellings of at most 8 letters (Latin and pinyin) by
/// [`pack8`] key, built once: one look-up per new word instead of two
/// string hashes and two cache look-ups.
fn latin_surnames() -> &'static HashMap<u64, LatinSurname> {
    static M: OnceLock<HashMap<u64, LatinSurname>> = OnceLock::new();
    M.get_or_init(|| {
        let t = tables();
        let mut m: HashMap<u64, LatinSurname> = HashMap::default();
        for (k, ids) in &t.surname_by_latin {
            if let Some(k) = pack8(k.as_bytes()) {
                let e = m.entry(k).or_insert(LatinSurname {
                    latin: None,
                    rank: None,
                    pinyin: None,
                });
                e.latin = surname_masks(ids);
                e.rank = rank(Some(ids));
            }
        }
        for (k, ids) in &t.surname_by_pinyin {
            if let Some(k) = pack8(k.as_bytes()) {
                let e = m.entry(k).or_insert(LatinSurname {
                    latin: None,
                    rank: None,
                    pinyin: None,
                });
                e.pinyin = surname_masks(ids);
            }
        }
        m
    })
}

/// Most distinct corrections of a typing error accepted: beyond this the
/// misspelled word says too little about which name was meant.
const MAX_TYPO_FIXES: usize = 6;

/// Corrections of one typing error in an unreadable Latin word `w` (lower
/// case, no hyphens): their readings (flagged `TYPO`) are appended to the
/// arena's alternatives and the kind of error is returned (an index of
/// [`TYPO_KINDS`]). Tried in order, stopping at the first kind that gives a
/// readable word: two adjacent letters swapped ("jni" → "jin"), one letter
/// too many (doubled or stray: "cholj" → "chol"), one letter missing, one
/// letter wrong. `None` (and
/// nothing added) when nothing reads or the correction is ambiguous (more
/// than `MAX_TYPO_FIXES` spellings).
fn correct_typo(w: &[u8], tail: Option<u8>, explain: bool, ar: &mut Arena) -> Option<u8> {
    if w.len() < 2 || w.len() >= MAX_WORD {
        return None;
    }
    let mut v = [0u8; MAX_WORD + 1];
    // The distinct readable corrections, on the stack.
    let mut fixes = [[0u8; MAX_WORD + 1]; MAX_TYPO_FIXES + 1];
    let mut fix_len = [0usize; MAX_TYPO_FIXES + 1];
    let mut n_fixes = 0;
    let mut try_fix = |cand: &[u8], n_fixes: &mut usize| {
        if *n_fixes > MAX_TYPO_FIXES || (0..*n_fixes).any(|i| fixes[i][..fix_len[i]] == *cand) {
            return;
        }
        let mut b = WordBuf::new();
        preprocess(cand, &mut b);
        if cuts_at_all(b.as_slice()) {
            fixes[*n_fixes][..cand.len()].copy_from_slice(cand);
            fix_len[*n_fixes] = cand.len();
            *n_fixes += 1;
        }
    };
    let n = w.len();
    for kind in 0..TYPO_KINDS.len() {
        match kind {
            0 => {
                for i in 0..n - 1 {
                    if w[i] == w[i + 1] {
                        continue;
                    }
                    v[..n].copy_from_slice(w);
                    v.swap(i, i + 1);
                    try_fix(&v[..n], &mut n_fixes);
                }
            }
            1 => {
                for i in 0..n {
                    v[..i].copy_from_slice(&w[..i]);
                    v[i..n - 1].copy_from_slice(&w[i + 1..]);
                    try_fix(&v[..n - 1], &mut n_fixes);
                }
            }
            2 => {
                for i in 0..=n {
                    for c in b'a'..=b'z' {
                        v[..i].copy_from_slice(&w[..i]);
                        v[i] = c;
                        v[i + 1..=n].copy_from_slice(&w[i..]);
                        try_fix(&v[..=n], &mut n_fixes);
                    }
                }
            }
            _ => {
                for i in 0..n {
                    for c in b'a'..=b'z' {
                        if c == w[i] {
                            continue;
                        }
                        v[..n].copy_from_slice(w);
                        v[i] = c;
                        try_fix(&v[..n], &mut n_fixes);
                    }
                }
            }
        }
        if n_fixes > 0 {
            if n_fixes > MAX_TYPO_FIXES {
                return None;
            }
            let start = ar.alts.len();
            for i in 0..n_fixes {
                let mut b = WordBuf::new();
                preprocess(&fixes[i][..fix_len[i]], &mut b);
                let s = syllabify(b.as_slice(), tail, explain, ar);
                // At most `MAX_CANDS` readings of all corrections.
                let keep = (s.n as usize).min(MAX_CANDS.saturating_sub(s.at as usize - start));
                ar.alts.truncate(s.at as usize + keep);
            }
            for k in start..ar.alts.len() {
                let a = ar.alts[k];
                let r = a.at as usize..a.at as usize + a.len as usize;
                if let Some(m) = ar.syl.get_mut(r) {
                    for x in m {
                        *x |= TYPO;
                    }
                }
            }
            return Some(kind as u8);
        }
    }
    None
}

/// Latin words recur across a list of names (Kim, Chol, Yong): their
/// readings are memoized per thread. The memo is bounded (cleared when it
/// holds `WORD_MEMO` words or its arena `MEMO_SYL` masks) and invisible to
/// callers: a word's reading depends only on its letters and the next
/// word's first letter.
const WORD_MEMO: usize = 16_384;
const MEMO_SYL: usize = 1 << 18;
/// Words the memo makes room for when it is made (an eighth of
/// `WORD_MEMO`; with their masks, alternatives and letters ≈ 0.4 MiB).
const MEMO_START: usize = WORD_MEMO / 8;

/// Keyed by [`memo_key`]: a short word's key is the word itself; a long
/// word's a hash, and the entry's own letters and tail are compared on a
/// hit, so a collision only costs a recomputation.
#[derive(Default)]
struct Memo {
    /// Hash → index in `words` (small entries: the table stays in cache).
    index: std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<Mix>>,
    words: Vec<Word>,
    arena: Arena,
}

impl Memo {
    fn clear(&mut self) {
        self.index.clear();
        self.words.clear();
        self.arena.clear();
    }

    /// Whether the memo is to be cleared before the next name (never
    /// during one: its words point into the arena).
    fn full(&self) -> bool {
        self.words.len() >= WORD_MEMO
            || self.arena.syl.len() >= MEMO_SYL
            || self.arena.bytes.len() >= MEMO_SYL
            || self.arena.alts.len() >= MEMO_SYL
    }
}

/// What the reader keeps per thread between names: the normalized pieces,
/// the word memo, the scratch arena and the list of words, all cleared
/// rather than freed.
#[derive(Default)]
struct Reader {
    pieces: Vec<Piece>,
    memo: Memo,
    scratch: Arena,
    words: Vec<Word>,
    text: WordText,
}

/// The per-thread state: the reader and the candidates of the key path
/// (reused, so that they are not zeroed for every name).
struct State {
    reader: Reader,
    cands: Cands,
}

impl Default for State {
    fn default() -> State {
        State {
            reader: Reader::default(),
            cands: Cands::new(),
        }
    }
}

thread_local! {
    static STATE: std::cell::RefCell<State> = std::cell::RefCell::new(State::default());
}

/// Run `f` on this thread's reader state (a fresh one if it is in use or
/// being destroyed).
fn with_state<T: Default>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut f = Some(f);
    let done = STATE
        .try_with(|s| {
            let mut st = s.try_borrow_mut().ok()?;
            f.take().map(|f| f(&mut st))
        })
        .ok()
        .flatten();
    match (done, f) {
        (Some(x), _) => x,
        (None, Some(f)) => f(&mut State::default()),
        // `f` ran: `done` holds its result.
        (None, None) => T::default(),
    }
}

/// Empty this thread's word memo and free its memory, as in a new thread
/// (benchmarks measure keying from cold, the arena's growth included).
/// When the memo fills up while reading, it is cleared but keeps its
/// capacity instead.
pub fn clear_word_memo() {
    let _ = STATE.try_with(|s| {
        if let Ok(mut st) = s.try_borrow_mut() {
            st.reader.memo = Memo::default();
        }
    });
}

/// The next word's first letter as far as a Latin word's reading depends
/// on it: [`plan`] only asks whether it is n or m (nasalized finals) or l
/// (ㄴ written l), so every other letter reads as no next word, and m as n.
/// Words that differ only so share a memo entry.
fn tail_class(tail: Option<u8>) -> Option<u8> {
    match tail {
        Some(b'n' | b'm') => Some(b'n'),
        Some(b'l') => Some(b'l'),
        _ => None,
    }
}

fn latin_word_cached(
    letters: &[u8],
    tail: Option<u8>,
    explain: bool,
    memo: &mut Memo,
    scratch: &mut Arena,
) -> Word {
    if explain {
        return latin_word(letters, tail, explain, scratch, false);
    }
    // "Kim" before "Chol" and before "Song" read alike: one memo entry.
    let tail = tail_class(tail);
    let (k, exact) = memo_key(letters, tail);
    if memo.words.capacity() == 0 {
        // First word since the memo was made: room for a list's
        // worth of words at once rather than growing by doubling
        // (copies, and an allocator that gives the memory back and
        // takes it again).
        memo.index.reserve(MEMO_START);
        memo.words.reserve(MEMO_START);
        memo.arena.syl.reserve(4 * MEMO_START);
        memo.arena.alts.reserve(4 * MEMO_START);
        memo.arena.bytes.reserve(8 * MEMO_START);
    }
    match memo.index.entry(k) {
        std::collections::hash_map::Entry::Occupied(e) => match memo.words.get(*e.get() as usize) {
            // An exact key is the word itself: nothing to compare.
            Some(w) if exact => *w,
            Some(w) if memo.arena.bytes(w.letters) == letters && w.tail == tail => *w,
            _ => latin_word(letters, tail, false, scratch, false),
        },
        std::collections::hash_map::Entry::Vacant(e) => {
            let w = latin_word(letters, tail, false, &mut memo.arena, true);
            e.insert(memo.words.len() as u32);
            memo.words.push(w);
            w
        }
    }
}

/// The memo's key of a Latin word (letters, hyphens) and the class of the
/// next word's first letter, and whether it is exact: a word of at most 8
/// letters below 128 (as every letter and hyphen is) is packed whole,
/// 7 bits a letter (zero padded: the length is implied), the tail class in
/// bits 56–57 and bit 63 set; a longer word is hashed (bit 63 clear), so
/// a hit must compare its letters.
fn memo_key(letters: &[u8], tail: Option<u8>) -> (u64, bool) {
    let t = match tail {
        None => 0,
        Some(b'l') => 2,
        Some(_) => 1,
    };
    if letters.len() <= 8 {
        // Packed and checked in one pass: every byte in 1..128.
        let (mut k, mut ok) = (0u64, true);
        for (i, &b) in letters.iter().enumerate() {
            ok &= b.wrapping_sub(1) < 127;
            k |= u64::from(b & 0x7F) << (7 * i);
        }
        if ok {
            return (k | t << 56 | 1 << 63, true);
        }
    }
    let h = fnv(letters.iter().copied().chain([t as u8]));
    (h & !(1 << 63), false)
}

/// The memo's hasher: a folded 128-bit multiply, as a packed key's low
/// bits are its first letters (the tables' hasher keeps low bits low, and
/// the table's buckets would follow the first letters).
#[derive(Default, Clone, Copy)]
struct Mix(u64);

impl std::hash::Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    #[inline]
    fn write_u64(&mut self, k: u64) {
        let m = u128::from(self.0 ^ k) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The characters or letters of the word being split off (reused).
#[derive(Default)]
struct WordText {
    chars: Vec<char>,
    letters: Vec<u8>,
}

/// Split normalized pieces into words (by spaces/commas and script changes).
/// Returns the index of the first word after a comma and the number of
/// characters ignored.
fn words<const EXPLAIN: bool>(
    pieces: &[Piece],
    memo: &mut Memo,
    scratch: &mut Arena,
    out: &mut Vec<Word>,
    buf: &mut WordText,
) -> (Option<usize>, usize) {
    let explain = EXPLAIN;
    let mut comma_at = None;
    let mut ignored = 0;
    let mut i = 0;
    while i < pieces.len() {
        match pieces[i] {
            Piece::Space | Piece::Hyphen => i += 1,
            Piece::Other => {
                ignored += 1;
                i += 1;
            }
            Piece::Comma => {
                if comma_at.is_none() && !out.is_empty() {
                    comma_at = Some(out.len());
                }
                i += 1;
            }
            Piece::Hangul(_) | Piece::Han(_) => {
                // `pieces` holds at most MAX_CHARS entries, so does a word.
                let cs = &mut buf.chars;
                cs.clear();
                let han = matches!(pieces[i], Piece::Han(_));
                while let Some(&(Piece::Hangul(c) | Piece::Han(c))) = pieces.get(i) {
                    if matches!(pieces[i], Piece::Han(_)) != han || cs.len() == MAX_CHARS {
                        break;
                    }
                    cs.push(c);
                    i += 1;
                }
                out.push(if han {
                    han_word(cs, explain, scratch)
                } else {
                    hangul_word(cs, explain, scratch)
                });
            }
            Piece::Latin(_) => {
                let ls = &mut buf.letters;
                ls.clear();
                while let Some(p) = pieces.get(i) {
                    let b = match p {
                        Piece::Latin(b) => *b,
                        Piece::Hyphen => HYPHEN,
                        Piece::Other => {
                            ignored += 1;
                            i += 1;
                            continue;
                        }
                        _ => break,
                    };
                    if ls.len() < MAX_CHARS {
                        ls.push(b);
                    }
                    i += 1;
                }
                while ls.last() == Some(&HYPHEN) {
                    ls.pop();
                }
                let ls = ls.as_slice();
                // First letter of the next Latin word: MR sound changes
                // across a space (Kim Mung Na for 김묵나) look at it.
                let tail = pieces[i..].iter().find_map(|p| match p {
                    Piece::Space | Piece::Hyphen => None,
                    Piece::Latin(b) => Some(Some(*b)),
                    _ => Some(None),
                });
                out.push(latin_word_cached(
                    ls,
                    tail.flatten(),
                    explain,
                    memo,
                    scratch,
                ));
            }
        }
    }
    (comma_at, ignored)
}

/// Assemble candidates from words in a given order; `sur` = indices of the
/// surname words, `given` = the rest in written order.
#[allow(clippy::too_many_arguments)]
fn assemble<const EXPLAIN: bool>(
    ws: &[Word],
    ars: Arenas,
    sur: &[usize],
    given: &[usize],
    surname_last: bool,
    out: &mut Cands,
    typo_word: Option<usize>,
) {
    let explain = EXPLAIN;
    // Alternatives per word (the surname reading for surname words). Words
    // past `MAX_SYL` cannot contribute a syllable (each gives at least one).
    // Plain integer arrays (spans, a bit per word for the memo's arena):
    // cheap to set up for every name.
    let mut choices = [Span::default(); MAX_SYL];
    let mut in_memo = 0u32;
    let mut word_of = [0u8; MAX_SYL];
    let mut m = 0;
    for &k in sur.iter().chain(given) {
        if m == MAX_SYL {
            break;
        }
        let w = &ws[k];
        let ar = ars.of(w);
        choices[m] = match (w.surname != NO_ALT, m < sur.len()) {
            (true, true) => Span {
                at: w.surname,
                n: 1,
            },
            _ if typo_word == Some(k) => w.typo_span(),
            _ => w.alts,
        };
        if ar.list(choices[m]).is_empty() {
            return;
        }
        if w.memo {
            in_memo |= 1 << m;
        }
        // At most `MAX_CHARS` words (only read when explaining).
        word_of[m] = k as u8;
        m += 1;
    }
    let choices = &choices[..m];
    let n_sur_words = sur.len();
    let mut idx = [0u32; MAX_SYL];
    loop {
        let Some(slot) = out.slot() else {
            return;
        };
        let mut len = 0;
        let mut text = Vec::new();
        let mut n_sur = 0;
        let mut typo = None;
        for (j, c) in choices.iter().enumerate() {
            let ar = if in_memo & (1 << j) != 0 {
                ars.memo
            } else {
                ars.scratch
            };
            let Some(&a) = ar.list(*c).get(idx[j] as usize) else {
                return;
            };
            let s = ar.syl(a);
            if explain && s.first().is_some_and(|&x| x & TYPO != 0) {
                let w = &ws[usize::from(word_of[j])];
                typo = Some(format!(
                    "'{}' ~ '{}' ({})",
                    String::from_utf8_lossy(ar.bytes(w.letters)),
                    ar.text(a).concat(),
                    w.typo().unwrap_or("typo")
                ));
            }
            let take = s.len().min(MAX_SYL - len);
            slot[len..len + take].copy_from_slice(&s[..take]);
            len += take;
            if explain {
                text.extend(ar.text(a).iter().cloned());
            }
            if j < n_sur_words {
                n_sur = len;
            }
        }
        text.truncate(MAX_SYL);
        if out.commit(len, n_sur, Kind::Korean, text, surname_last, explain) && explain {
            if let Some(t) = out.text.last_mut() {
                t.1 = typo;
            }
        }
        if out.len() >= MAX_CANDS {
            return;
        }
        // Next combination.
        let mut j = 0;
        loop {
            if j == choices.len() {
                return;
            }
            idx[j] += 1;
            if idx[j] < choices[j].n {
                break;
            }
            idx[j] = 0;
            j += 1;
        }
    }
}

/// The one word of a name whose typing error may be corrected: only when
/// the rest of the name is strong evidence, i.e. exactly one word is
/// unreadable but correctable, every other word reads, and the name has at
/// least three syllables with the correction.
fn typo_word(ws: &[Word], ars: Arenas) -> Option<usize> {
    // Usually no word has corrections: then there is nothing to look at.
    if ws.iter().all(|w| w.n_typo == 0) {
        return None;
    }
    let mut found = None;
    let mut syllables = 0;
    for (k, w) in ws.iter().enumerate() {
        let ar = ars.of(w);
        if w.n_typo > 0 {
            if found.is_some() {
                return None;
            }
            found = Some(k);
            syllables += w
                .typo_alts(ar)
                .iter()
                .filter(|&&a| ar.syl(a).first().is_some_and(|&x| x & TYPO != 0))
                .map(|a| a.len as usize)
                .min()
                .unwrap_or(0);
        } else {
            let readable = w
                .alts(ar)
                .iter()
                .all(|&a| ar.syl(a).iter().all(|&x| x & OPAQUE == 0));
            if !readable {
                return None;
            }
            syllables += w.alts(ar).iter().map(|a| a.len as usize).min().unwrap_or(0);
        }
    }
    found.filter(|_| ws.len() >= 2 && syllables >= 3)
}

/// 0, 1, 2, … (word indices; a name has at most `MAX_CHARS` words).
static ALL: [usize; MAX_CHARS] = {
    let mut a = [0; MAX_CHARS];
    let mut i = 0;
    while i < MAX_CHARS {
        a[i] = i;
        i += 1;
    }
    a
};

/// Read `name` into its candidates.
pub fn read(name: &str, explain: bool) -> Reading {
    let mut c = Cands::new();
    let mut r = Reading::default();
    with_state(|st| {
        if explain {
            read_into::<true>(name, &mut st.reader, &mut c, Some(&mut r));
        } else {
            read_into::<false>(name, &mut st.reader, &mut c, Some(&mut r));
        }
    });
    r.cands = c.into_vec();
    r
}

/// Read `name` into this thread's candidate buffer and hand it to `f` (the
/// key path: no texts, no allocation but the arenas' growth).
pub(crate) fn with_cands<T: Default>(name: &str, f: impl FnOnce(&Cands) -> T) -> T {
    with_state(|st| {
        st.cands.clear();
        read_into::<false>(name, &mut st.reader, &mut st.cands, None);
        f(&st.cands)
    })
}

/// Read `name` into `out` and, when given, what was seen into `seen` (the
/// key path needs neither). Monomorphized on `EXPLAIN` (with its callees
/// `words`, `read_words` and `assemble`): the key path carries no
/// explanation branches.
fn read_into<const EXPLAIN: bool>(
    name: &str,
    rd: &mut Reader,
    out: &mut Cands,
    seen: Option<&mut Reading>,
) {
    let Reader {
        pieces,
        memo,
        scratch,
        words: ws,
        text,
    } = rd;
    let truncated = normalize::pieces(name, MAX_CHARS, pieces);
    scratch.clear();
    ws.clear();
    if memo.full() {
        memo.clear();
    }
    let (comma_at, ignored) = words::<EXPLAIN>(pieces, memo, scratch, ws, text);
    let ars = Arenas {
        memo: &memo.arena,
        scratch,
    };
    if let Some(r) = seen {
        r.ignored = ignored;
        r.truncated = truncated;
        if EXPLAIN {
            describe(ws, ars, r);
        }
    }
    read_words::<EXPLAIN>(ws, ars, comma_at, out);
}

/// What an explanation says about the words of a name: their scripts and,
/// for a name with Chinese characters, its Hangul reading.
fn describe(ws: &[Word], ars: Arenas, r: &mut Reading) {
    r.scripts = ws.iter().map(|w| w.script).collect();
    if ws.iter().any(|w| w.script == Script::Han) {
        let mut s = String::new();
        for (k, w) in ws.iter().enumerate() {
            if k > 0 {
                s.push(' ');
            }
            let ar = ars.of(w);
            if w.script == Script::Han {
                for (j, &c) in ar.chars(w.chars).iter().enumerate() {
                    let rd = if k == 0 && j == 0 {
                        tables()
                            .surname_by_hanja
                            .get(c.to_string().as_str())
                            .and_then(|ids| {
                                tables()
                                    .surnames
                                    .get(*ids.first()?)
                                    .map(|s| s.hangul.to_string())
                            })
                    } else {
                        None
                    };
                    let rd = rd.or_else(|| {
                        tables::hanja_readings(c)
                            .and_then(|x| x.first())
                            .map(|s| hangul::compose(*s).to_string())
                    });
                    s.push_str(rd.as_deref().unwrap_or("?"));
                }
            } else if w.script == Script::Hangul {
                s.extend(ar.chars(w.chars).iter());
            } else {
                s.push_str(&String::from_utf8_lossy(ar.bytes(w.letters)));
            }
        }
        r.hanja_reading = Some(s);
    }
}

fn read_words<const EXPLAIN: bool>(
    ws: &[Word],
    ars: Arenas,
    comma_at: Option<usize>,
    cands: &mut Cands,
) {
    let explain = EXPLAIN;
    if ws.is_empty() {
        return;
    }
    let n = ws.len();
    if n == 1 {
        // One word: the surname is inside it.
        let w = &ws[0];
        let ar = ars.of(w);
        for &a in w.alts(ar) {
            let own = ar.syl(a);
            let mut syl = [0u64; MAX_SYL];
            let mut len = own.len().min(MAX_SYL);
            syl[..len].copy_from_slice(&own[..len]);
            let mut text = if explain {
                ar.text(a).to_vec()
            } else {
                Vec::new()
            };
            let mut n_sur = 1;
            if w.script != Script::Latin {
                let head = &w.head[..usize::from(w.n_chars).min(2)];
                if w.n_chars >= 3 {
                    let sy: [Option<Syllable>; 2] = [
                        head.first().and_then(|&c| hangul::decompose(c)),
                        head.get(1).and_then(|&c| hangul::decompose(c)),
                    ];
                    let t = tables();
                    let compound = match sy {
                        [Some(x), Some(y)] => is_compound_surname(&[x, y]),
                        _ => false,
                    };
                    // (The two characters as text only for Hanja.)
                    if compound
                        || (w.script == Script::Han && {
                            let two = StrBuf::of_chars(head);
                            let two = two.as_ref().map_or("", StrBuf::as_str);
                            t.surname_by_hanja.get(two).is_some_and(|ids| {
                                ids.iter().any(|&i| t.surnames[i].syllables.len() == 2)
                            })
                        })
                    {
                        n_sur = 2;
                    }
                }
                if w.script == Script::Han {
                    let head = StrBuf::of_chars(&head[..n_sur.min(head.len())]);
                    let head = head.as_ref().map_or("", StrBuf::as_str);
                    if let Some(sa) = tables()
                        .surname_by_hanja
                        .get(head)
                        .and_then(|ids| surname_alt(ids, false))
                    {
                        if sa.0.len() == n_sur && n_sur <= len {
                            syl[..n_sur].copy_from_slice(&sa.0);
                        }
                    }
                }
            } else if let Some(&sa) = w.surname(ar) {
                // A lone Latin word that is a known surname ("Kim").
                let m = ar.syl(sa);
                len = m.len().min(MAX_SYL);
                syl[..len].copy_from_slice(&m[..len]);
                if explain {
                    text = ar.text(sa).to_vec();
                }
                n_sur = len;
            }
            text.truncate(MAX_SYL);
            cands.push(
                &syl[..len],
                n_sur.min(own.len()),
                Kind::Korean,
                text,
                false,
                explain,
            );
            if cands.len() >= MAX_CANDS {
                break;
            }
        }
    } else {
        let all = &ALL[..n.min(MAX_CHARS)];
        let tw = typo_word(ws, ars);
        match comma_at {
            Some(k) if k > 0 && k < n => {
                assemble::<EXPLAIN>(ws, ars, &all[..k], &all[k..], false, cands, tw)
            }
            _ => {
                let first = ws[0].surname_rank;
                let last = ws[n - 1].surname_rank;
                // Surname first is the Korean order and always a candidate.
                assemble::<EXPLAIN>(ws, ars, &all[..1], &all[1..], false, cands, tw);
                // Given name first ("Chol Jin Kim"): when the last word is a
                // surname and the first is not, or is a rarer one ("Sung Kim").
                let last_first = match (first, last) {
                    (None, Some(_)) => true,
                    (Some(f), Some(l)) => l < f,
                    _ => false,
                };
                if last_first && cands.len() < MAX_CANDS {
                    assemble::<EXPLAIN>(ws, ars, &all[n - 1..], &all[..n - 1], true, cands, tw);
                }
            }
        }
    }
    // Pinyin reading of an all-Latin name (surname first, Chinese order).
    if ws.iter().all(|w| w.script == Script::Latin) {
        // Per word: the pinyin surname reading (first word of several) or
        // the word's pinyin cuts, both computed once per word.
        let alts_of = |k: usize| -> (&Arena, &[Alt]) {
            let w = &ws[k];
            let ar = ars.of(w);
            match (w.pinyin_surname(ar), k == 0 && n > 1) {
                (Some(a), true) => (ar, std::slice::from_ref(a)),
                _ => (ar, ar.list(w.pinyin)),
            }
        };
        if (0..n).all(|k| !alts_of(k).1.is_empty()) {
            // The first alternative of each word, then variations of one
            // word at a time (at most four candidates).
            let variations =
                (0..n).flat_map(|k| (1..alts_of(k).1.len()).map(move |j| Some((k, j))));
            for var in std::iter::once(None).chain(variations).take(4) {
                let mut syl = [0u64; MAX_SYL];
                let mut len = 0;
                let mut text = Vec::new();
                let mut n_sur = 0;
                for k in 0..n {
                    let j = match var {
                        Some((vk, vj)) if vk == k => vj,
                        _ => 0,
                    };
                    let (ar, alts) = alts_of(k);
                    let a = alts[j];
                    for &x in ar.syl(a) {
                        if len < MAX_SYL {
                            syl[len] = x;
                            len += 1;
                        }
                    }
                    if explain {
                        text.extend(ar.text(a).iter().cloned());
                    }
                    if k == 0 {
                        n_sur = len;
                    }
                }
                if n == 1 {
                    n_sur = 1;
                }
                text.truncate(MAX_SYL);
                cands.push(&syl[..len], n_sur, Kind::Pinyin, text, false, explain);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(c: &Cand, k: usize, s: char) -> bool {
        let m = syllable_mask(hangul::decompose(s).unwrap());
        let (a, b, d) = syl_match(c.syl[k], m);
        a && b && d
    }

    #[test]
    fn latin_spelling_covers_the_hangul() {
        let r = read("Kim Chol Jin", true);
        assert!(
            r.cands
                .iter()
                .any(|c| c.syl.len() == 3 && has(c, 0, '김') && has(c, 1, '철') && has(c, 2, '진'))
        );
        assert!(r.cands.iter().all(|c| c.syl.len() != 3 || !has(c, 1, '촌')));
    }

    #[test]
    fn joined_given_name_is_cut_both_ways() {
        let r = read("Kim Jongun", true);
        let cuts: Vec<Vec<String>> = r
            .cands
            .iter()
            .filter(|c| c.kind == Kind::Korean)
            .map(|c| c.text.clone())
            .collect();
        assert!(
            cuts.contains(&vec!["kim".into(), "jong".into(), "un".into()]),
            "{cuts:?}"
        );
        assert!(
            cuts.contains(&vec!["kim".into(), "jon".into(), "gun".into()]),
            "{cuts:?}"
        );
    }

    #[test]
    fn given_first_order_is_recognised() {
        let r = read("Chol Jin Kim", false);
        assert!(r.cands.iter().any(|c| c.surname_last && has(c, 0, '김')));
    }

    #[test]
    fn initial_sound_rule_positions() {
        let a = read("리설주", false);
        let b = read("이설주", false);
        assert_eq!(a.cands[0].syl, b.cands[0].syl);
        // Not inside a given name: 정리 ≠ 정이.
        let a = read("김정리", false);
        let b = read("김정이", false);
        assert_ne!(a.cands[0].syl, b.cands[0].syl);
    }

    #[test]
    fn words_stay_small() {
        // The memo holds one `Word` per Latin word and names copy them.
        assert!(std::mem::size_of::<Word>() <= 64);
    }

    #[test]
    fn options_at_a_position_fit_the_plan_buffer() {
        // `plan_at` collects a position's options in `OPTS_AT` slots: every
        // combination of the spellings that can start with the same two
        // letters must fit.
        let idx = index();
        let most = |sets: &[u64]| sets.iter().map(|s| s.count_ones()).max().unwrap_or(0) as usize;
        assert!(most(&idx.on) * most(&idx.v) * most(&idx.co) <= OPTS_AT);
    }

    #[test]
    fn pinyin_reading() {
        let r = read("Jin Zhezhen", false);
        let p: Vec<&Cand> = r.cands.iter().filter(|c| c.kind == Kind::Pinyin).collect();
        assert!(
            p.iter()
                .any(|c| c.syl.len() == 3 && has(c, 0, '김') && has(c, 1, '철') && has(c, 2, '진'))
        );
    }
}
