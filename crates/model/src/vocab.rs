//! Controlled vocabularies: the coded words of the field, with English and
//! Korean labels.
//!
//! Records store stable ASCII codes (`forced_repatriation`, `held_by_mss`),
//! never labels, so that counts by act type or status do not split over
//! spelling and so that one dataset can be shown in English or Korean. The
//! built-in terms follow HURIDOCS Events Standard Formats where they fit and
//! the words of UN and NGO reporting on North Korea where they do not (the
//! DPRK detention system: 집결소, 구류장, 노동단련대, 교화소, 관리소).
//!
//! Users add terms without a code change ([`Vocabularies::extend`]); user
//! terms are validated (code syntax, no duplicates) and serialised separately
//! ([`UserTerm`]) so a store can keep them. Two vocabularies are closed
//! because they are a published scale: `reliability` (Admiralty code A–F) and
//! `credibility` (1–6).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

/// The vocabularies. The string form (`act_type`, `category`…) is the prefix
/// of index terms (`act_type:torture`) and the name `tumen vocab` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vocab {
    ActType,
    Category,
    PlaceType,
    FacilityType,
    Involvement,
    SourceType,
    Reliability,
    Credibility,
    Basis,
    InterventionType,
    InterventionStatus,
    PersonStatus,
    EventType,
    Transport,
    Sex,
    NameScript,
    NameKind,
    OrgType,
}

impl Vocab {
    pub const ALL: [Vocab; 18] = [
        Vocab::ActType,
        Vocab::Category,
        Vocab::PlaceType,
        Vocab::FacilityType,
        Vocab::Involvement,
        Vocab::SourceType,
        Vocab::Reliability,
        Vocab::Credibility,
        Vocab::Basis,
        Vocab::InterventionType,
        Vocab::InterventionStatus,
        Vocab::PersonStatus,
        Vocab::EventType,
        Vocab::Transport,
        Vocab::Sex,
        Vocab::NameScript,
        Vocab::NameKind,
        Vocab::OrgType,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Vocab::ActType => "act_type",
            Vocab::Category => "category",
            Vocab::PlaceType => "place_type",
            Vocab::FacilityType => "facility_type",
            Vocab::Involvement => "involvement",
            Vocab::SourceType => "source_type",
            Vocab::Reliability => "reliability",
            Vocab::Credibility => "credibility",
            Vocab::Basis => "basis",
            Vocab::InterventionType => "intervention_type",
            Vocab::InterventionStatus => "intervention_status",
            Vocab::PersonStatus => "person_status",
            Vocab::EventType => "event_type",
            Vocab::Transport => "transport",
            Vocab::Sex => "sex",
            Vocab::NameScript => "name_script",
            Vocab::NameKind => "name_kind",
            Vocab::OrgType => "org_type",
        }
    }
    pub fn parse(s: &str) -> Option<Vocab> {
        Vocab::ALL.into_iter().find(|v| v.as_str() == s)
    }
    /// Closed vocabularies are published scales; users cannot add to them.
    pub fn is_closed(self) -> bool {
        matches!(self, Vocab::Reliability | Vocab::Credibility)
    }
    /// What the vocabulary is for, in English.
    pub fn description(self) -> &'static str {
        match self {
            Vocab::ActType => "type of act committed against a victim",
            Vocab::Category => "category a person belongs to",
            Vocab::PlaceType => "type of place",
            Vocab::FacilityType => "type of detention facility (DPRK and PRC systems)",
            Vocab::Involvement => "degree of a perpetrator's involvement in an act",
            Vocab::SourceType => "type of source",
            Vocab::Reliability => "reliability of a source (Admiralty code A–F)",
            Vocab::Credibility => "credibility of one claim (Admiralty code 1–6)",
            Vocab::Basis => "how the source knows what it claims",
            Vocab::InterventionType => "type of intervention on a case",
            Vocab::InterventionStatus => "state of an intervention",
            Vocab::PersonStatus => "where a person stands (status history)",
            Vocab::EventType => "type of event",
            Vocab::Transport => "means of transport",
            Vocab::Sex => "sex",
            Vocab::NameScript => "script a name is written in",
            Vocab::NameKind => "kind of name",
            Vocab::OrgType => "type of organization",
        }
    }
}

impl fmt::Display for Vocab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One term: a stable code and its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub code: String,
    pub en: String,
    pub ko: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A user-added term, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserTerm {
    pub vocab: Vocab,
    pub code: String,
    pub en: String,
    pub ko: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a user term was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabError {
    #[error("vocabulary {0} is a published scale and cannot be extended")]
    Closed(Vocab),
    #[error("term code must be 1–64 characters of a–z, 0–9 and _, starting with a letter")]
    BadCode,
    #[error("{vocab} already has a term with code {code}")]
    Duplicate { vocab: Vocab, code: String },
    #[error("term label {0} is empty or longer than 200 characters")]
    BadLabel(&'static str),
    #[error("term note is longer than 2000 characters")]
    NoteTooLong,
}

/// Is `code` a valid term code (`[a-z][a-z0-9_]{0,63}`)?
pub fn is_valid_code(code: &str) -> bool {
    let b = code.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// All vocabularies: the built-in terms plus the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabularies {
    terms: BTreeMap<Vocab, Vec<Term>>,
    user: Vec<UserTerm>,
}

type Row = (&'static str, &'static str, &'static str, &'static str);

const ACT_TYPE: &[Row] = &[
    (
        "arrest",
        "Arrest",
        "체포",
        "Taking a person into custody, e.g. by Chinese public security in China.",
    ),
    (
        "detention",
        "Detention",
        "구금",
        "Holding a person in custody.",
    ),
    (
        "arbitrary_detention",
        "Arbitrary detention",
        "자의적 구금",
        "Detention without legal basis or due process.",
    ),
    (
        "forced_repatriation",
        "Forced repatriation (refoulement)",
        "강제송환",
        "Return to the DPRK against the person's will, in breach of the principle of non-refoulement.",
    ),
    (
        "interrogation",
        "Interrogation",
        "심문",
        "Questioning in custody, e.g. by the Ministry of State Security after return.",
    ),
    (
        "torture",
        "Torture",
        "고문",
        "Severe pain or suffering intentionally inflicted by or with the consent of an official (UN Convention against Torture, art. 1).",
    ),
    (
        "ill_treatment",
        "Cruel, inhuman or degrading treatment",
        "잔혹하거나 비인도적인 대우",
        "Ill-treatment short of torture.",
    ),
    (
        "sexual_violence",
        "Sexual violence",
        "성폭력",
        "Including invasive body searches of returned women.",
    ),
    (
        "invasive_body_search",
        "Invasive body search",
        "강제 신체 수색",
        "Searches of body cavities for hidden money, reported in holding centres.",
    ),
    ("forced_abortion", "Forced abortion", "강제 낙태", NO_NOTE),
    ("forced_labour", "Forced labour", "강제노동", NO_NOTE),
    (
        "enforced_disappearance",
        "Enforced disappearance",
        "강제실종",
        "Deprivation of liberty followed by refusal to acknowledge it or to disclose the person's fate or whereabouts.",
    ),
    ("execution", "Execution", "처형", NO_NOTE),
    (
        "death_in_custody",
        "Death in custody",
        "구금 중 사망",
        NO_NOTE,
    ),
    (
        "sentencing_without_fair_trial",
        "Sentencing without fair trial",
        "공정한 재판 없는 형 선고",
        NO_NOTE,
    ),
    (
        "imprisonment",
        "Imprisonment",
        "수감",
        "E.g. in a re-education camp (교화소).",
    ),
    (
        "political_prison_camp_imprisonment",
        "Imprisonment in a political prison camp",
        "정치범수용소 수감",
        "관리소 (kwalliso).",
    ),
    (
        "family_punishment",
        "Punishment of family members",
        "연좌제 처벌",
        "Guilt by association.",
    ),
    ("trafficking", "Trafficking in persons", "인신매매", NO_NOTE),
    (
        "deprivation_of_food",
        "Deprivation of food",
        "식량 박탈",
        NO_NOTE,
    ),
];

const CATEGORY: &[Row] = &[
    ("woman", "Woman", "여성", NO_NOTE),
    ("child", "Child", "아동", "Under 18."),
    ("pregnant_woman", "Pregnant woman", "임신부", NO_NOTE),
    (
        "defector",
        "Escapee / defector",
        "탈북민",
        "A person who left the DPRK without permission; sources use several words.",
    ),
    ("refugee", "Refugee / asylum seeker", "난민", NO_NOTE),
    (
        "family_member",
        "Family member",
        "가족 구성원",
        "Of a person of concern, e.g. relatives punished in the DPRK.",
    ),
    ("diplomat", "Diplomat", "외교관", NO_NOTE),
    (
        "it_worker",
        "IT worker",
        "IT 노동자",
        "DPRK information-technology worker sent abroad.",
    ),
    (
        "overseas_worker",
        "Overseas worker",
        "해외 파견 노동자",
        "DPRK worker dispatched abroad by the state.",
    ),
    ("student", "Student", "학생", NO_NOTE),
    ("soldier", "Soldier", "군인", NO_NOTE),
    ("fisher", "Fisher", "어민", NO_NOTE),
    (
        "trafficking_victim",
        "Trafficking victim",
        "인신매매 피해자",
        NO_NOTE,
    ),
    (
        "religious_believer",
        "Religious believer",
        "종교인",
        NO_NOTE,
    ),
    ("elderly", "Older person", "노인", NO_NOTE),
    (
        "person_with_disability",
        "Person with a disability",
        "장애인",
        NO_NOTE,
    ),
];

const PLACE_TYPE: &[Row] = &[
    ("country", "Country", "국가", NO_NOTE),
    ("province", "Province", "도 / 성", "DPRK 도, PRC 省."),
    (
        "prefecture",
        "Prefecture",
        "지급시 / 자치주",
        "PRC prefecture-level division, e.g. Yanbian Korean Autonomous Prefecture.",
    ),
    (
        "county",
        "County",
        "군 / 현",
        "DPRK 군, PRC 县 / county-level city.",
    ),
    ("city", "City", "시", NO_NOTE),
    ("district", "District", "구역", NO_NOTE),
    ("town", "Town or village", "읍 / 리", NO_NOTE),
    (
        "border_crossing",
        "Border crossing",
        "국경 통과 지점 (통상구)",
        "A port of entry between the PRC and the DPRK.",
    ),
    ("bridge", "Bridge", "다리", NO_NOTE),
    ("river", "River", "강", NO_NOTE),
    (
        "detention_facility",
        "Detention facility",
        "구금 시설",
        "See facility_type for the kind.",
    ),
    (
        "prison_camp",
        "Prison camp",
        "수용소",
        "See facility_type for the kind.",
    ),
];

const FACILITY_TYPE: &[Row] = &[
    (
        "prc_detention_centre",
        "PRC detention centre",
        "중국 구치소 (看守所)",
        "Kanshousuo, run by the PRC public security.",
    ),
    (
        "prc_border_detention",
        "PRC border defence detention",
        "중국 변방 구류소 (边防拘留所)",
        "Border-defence holding facility.",
    ),
    (
        "mss_interrogation_detention",
        "MSS interrogation/detention facility",
        "보위부 구류장",
        "Detention of the Ministry of State Security (국가보위성) at provincial or county level, where returnees are interrogated.",
    ),
    (
        "pretrial_detention",
        "Pre-trial detention centre",
        "구류장",
        "Kuryujang: police (Ministry of Social Security) pre-trial detention and interrogation.",
    ),
    (
        "holding_centre",
        "Holding centre",
        "집결소",
        "Jipkyulso: provincial holding centre for returnees and people caught away from their registered residence.",
    ),
    (
        "labour_training_camp",
        "Labour training camp",
        "노동단련대",
        "Rodong danryeondae: short-term forced-labour detention.",
    ),
    (
        "reeducation_camp",
        "Re-education camp (long-term prison)",
        "교화소",
        "Kyohwaso: ordinary prison camp for sentenced prisoners.",
    ),
    (
        "political_prison_camp",
        "Political prison camp",
        "관리소",
        "Kwalliso: political prison camp run by the Ministry of State Security.",
    ),
];

const INVOLVEMENT: &[Row] = &[
    (
        "direct_perpetrator",
        "Direct perpetrator",
        "직접 가해자",
        NO_NOTE,
    ),
    ("ordered", "Ordered", "명령", "Gave the order for the act."),
    (
        "superior_responsibility",
        "Superior responsibility",
        "상급자 책임",
        "Knew or should have known and failed to prevent or punish.",
    ),
    ("complicit", "Complicit", "공모", NO_NOTE),
    ("aided", "Aided or abetted", "방조", NO_NOTE),
    (
        "transferred_custody",
        "Handed the victim over",
        "신병 인도",
        "E.g. PRC authorities handing a person to the DPRK Ministry of State Security.",
    ),
    (
        "failed_to_prevent",
        "Failed to prevent",
        "방지 의무 불이행",
        NO_NOTE,
    ),
    ("unknown", "Unknown", "알 수 없음", NO_NOTE),
];

const SOURCE_TYPE: &[Row] = &[
    (
        "witness_testimony",
        "Witness testimony",
        "증인 증언",
        NO_NOTE,
    ),
    ("interview", "Interview", "면담", NO_NOTE),
    ("document", "Document", "문서", NO_NOTE),
    ("news_report", "News report", "언론 보도", NO_NOTE),
    (
        "ngo_report",
        "NGO report or statement",
        "시민단체 보고서·성명",
        NO_NOTE,
    ),
    (
        "un_communication",
        "UN communication",
        "유엔 서한",
        "Letter of UN special procedures, or a state's reply to one.",
    ),
    (
        "un_press_release",
        "UN press release",
        "유엔 보도자료",
        NO_NOTE,
    ),
    (
        "government_statement",
        "Government statement",
        "정부 발표",
        NO_NOTE,
    ),
    ("satellite_image", "Satellite image", "위성사진", NO_NOTE),
    (
        "family_list",
        "Family's list",
        "가족 명단",
        "A list of missing relatives compiled by families.",
    ),
    ("court_record", "Court record", "재판 기록", NO_NOTE),
];

const RELIABILITY: &[Row] = &[
    (
        "A",
        "Completely reliable",
        "완전히 신뢰할 수 있음",
        "No doubt of authenticity, trustworthiness or competency; a history of complete reliability.",
    ),
    (
        "B",
        "Usually reliable",
        "대체로 신뢰할 수 있음",
        "Minor doubt; a history of valid information most of the time.",
    ),
    (
        "C",
        "Fairly reliable",
        "어느 정도 신뢰할 수 있음",
        "Doubt; has provided valid information in the past.",
    ),
    (
        "D",
        "Not usually reliable",
        "대체로 신뢰하기 어려움",
        "Significant doubt; has provided valid information in the past.",
    ),
    (
        "E",
        "Unreliable",
        "신뢰할 수 없음",
        "Lacking authenticity, trustworthiness and competency; a history of invalid information.",
    ),
    (
        "F",
        "Reliability cannot be judged",
        "신뢰성을 판단할 수 없음",
        "No basis exists for evaluating reliability.",
    ),
];

const CREDIBILITY: &[Row] = &[
    (
        "1",
        "Confirmed by other sources",
        "다른 출처로 확인됨",
        "Confirmed by independent sources; logical in itself; consistent with other information.",
    ),
    (
        "2",
        "Probably true",
        "사실일 가능성이 높음",
        "Not confirmed; logical in itself; consistent with other information.",
    ),
    (
        "3",
        "Possibly true",
        "사실일 수 있음",
        "Not confirmed; reasonably logical; agrees with some other information.",
    ),
    (
        "4",
        "Doubtful",
        "의심스러움",
        "Not confirmed; possible but not logical; no other information on the subject.",
    ),
    (
        "5",
        "Improbable",
        "사실일 가능성이 낮음",
        "Not confirmed; not logical in itself; contradicted by other information.",
    ),
    (
        "6",
        "Truth cannot be judged",
        "진위를 판단할 수 없음",
        "No basis exists for evaluating the validity of the information.",
    ),
];

const BASIS: &[Row] = &[
    (
        "experienced",
        "Experienced it (the victim)",
        "직접 겪음 (피해자 본인)",
        NO_NOTE,
    ),
    ("saw_it", "Saw it", "직접 목격", NO_NOTE),
    (
        "heard_from_victim",
        "Heard from the victim",
        "피해자에게 들음",
        NO_NOTE,
    ),
    (
        "heard_from_witness",
        "Heard from a witness",
        "목격자에게 들음",
        NO_NOTE,
    ),
    (
        "hearsay",
        "Hearsay",
        "전해 들음",
        "Second-hand or further removed.",
    ),
    ("document", "From a document", "문서", NO_NOTE),
    (
        "public_report",
        "From a public report",
        "공개 보고",
        NO_NOTE,
    ),
    ("unknown", "Unknown", "알 수 없음", NO_NOTE),
];

const INTERVENTION_TYPE: &[Row] = &[
    (
        "un_special_procedures_letter",
        "UN special procedures letter",
        "유엔 특별절차 서한",
        "Allegation letter or other communication by special rapporteurs / working groups.",
    ),
    ("urgent_appeal", "Urgent appeal", "긴급 호소", NO_NOTE),
    (
        "state_reply",
        "State reply",
        "국가 답변",
        "A government's reply to a communication.",
    ),
    (
        "submission_un_working_group",
        "Submission to a UN working group",
        "유엔 실무그룹 제출",
        "E.g. the Working Group on Enforced or Involuntary Disappearances.",
    ),
    (
        "un_press_release",
        "UN press release",
        "유엔 보도자료",
        NO_NOTE,
    ),
    ("media_statement", "Media statement", "언론 성명", NO_NOTE),
    ("open_letter", "Open letter", "공개 서한", NO_NOTE),
    (
        "diplomatic_protest",
        "Diplomatic protest",
        "외교적 항의",
        NO_NOTE,
    ),
    ("family_petition", "Family petition", "가족 청원", NO_NOTE),
];

const INTERVENTION_STATUS: &[Row] = &[
    ("planned", "Planned", "계획", NO_NOTE),
    ("sent", "Sent", "발송", NO_NOTE),
    ("acknowledged", "Acknowledged", "접수 확인", NO_NOTE),
    ("replied", "Replied", "답변 받음", NO_NOTE),
    ("no_reply", "No reply", "무응답", NO_NOTE),
    ("published", "Published", "공개", NO_NOTE),
    ("ongoing", "Ongoing", "진행 중", NO_NOTE),
    ("closed", "Closed", "종결", NO_NOTE),
];

const PERSON_STATUS: &[Row] = &[
    ("in_china", "In China, not detained", "중국 체류", NO_NOTE),
    (
        "detained_in_china",
        "Detained in China",
        "중국 내 구금",
        NO_NOTE,
    ),
    ("repatriated", "Forcibly repatriated", "강제송환됨", NO_NOTE),
    (
        "held_by_mss",
        "Held by the Ministry of State Security",
        "국가보위성 구금",
        NO_NOTE,
    ),
    (
        "held_by_mps",
        "Held by the Ministry of Social Security",
        "사회안전성 구금",
        "Formerly Ministry of People's Security; the police.",
    ),
    (
        "in_holding_centre",
        "In a holding centre",
        "집결소 수용",
        NO_NOTE,
    ),
    ("sentenced", "Sentenced", "형 선고", NO_NOTE),
    (
        "in_labour_training_camp",
        "In a labour training camp",
        "노동단련대 수감",
        NO_NOTE,
    ),
    (
        "in_camp",
        "In a prison camp",
        "수용소 수감",
        "교화소 or 관리소; the place says which.",
    ),
    ("released", "Released", "석방", NO_NOTE),
    ("escaped_again", "Escaped again", "재탈북", NO_NOTE),
    (
        "in_third_country",
        "In a third country",
        "제3국 체류",
        NO_NOTE,
    ),
    ("resettled", "Resettled", "정착", NO_NOTE),
    (
        "disappeared",
        "Whereabouts unknown (disappeared)",
        "행방불명",
        NO_NOTE,
    ),
    ("dead", "Dead", "사망", NO_NOTE),
    ("unknown", "Unknown", "알 수 없음", NO_NOTE),
];

const EVENT_TYPE: &[Row] = &[
    (
        "mass_repatriation",
        "Mass forced repatriation",
        "집단 강제송환",
        NO_NOTE,
    ),
    ("repatriation", "Forced repatriation", "강제송환", NO_NOTE),
    (
        "arrest_operation",
        "Arrest operation / crackdown",
        "단속·체포",
        NO_NOTE,
    ),
    ("border_crossing", "Border crossing", "국경 월경", NO_NOTE),
    ("transfer", "Transfer between facilities", "이송", NO_NOTE),
    ("trial", "Trial or sentencing", "재판·형 선고", NO_NOTE),
    ("release", "Release", "석방", NO_NOTE),
    (
        "diplomatic_exchange",
        "Diplomatic exchange",
        "외교 교섭",
        NO_NOTE,
    ),
];

const TRANSPORT: &[Row] = &[
    ("bus", "Bus", "버스", NO_NOTE),
    ("truck", "Truck", "트럭", NO_NOTE),
    ("van", "Van", "승합차", NO_NOTE),
    ("car", "Car", "승용차", NO_NOTE),
    ("train", "Train", "기차", NO_NOTE),
    ("on_foot", "On foot", "도보", NO_NOTE),
    ("boat", "Boat", "배", NO_NOTE),
    ("aircraft", "Aircraft", "항공기", NO_NOTE),
];

const SEX: &[Row] = &[
    ("female", "Female", "여성", NO_NOTE),
    ("male", "Male", "남성", NO_NOTE),
    ("other", "Other", "기타", NO_NOTE),
    ("unknown", "Unknown", "알 수 없음", NO_NOTE),
];

const NAME_SCRIPT: &[Row] = &[
    ("hangul", "Hangul", "한글", NO_NOTE),
    (
        "hanja",
        "Chinese characters (hanja / hanzi)",
        "한자",
        "As written in Korean or in Chinese documents.",
    ),
    ("latin", "Latin", "로마자", NO_NOTE),
    ("other", "Other", "기타", NO_NOTE),
];

const NAME_KIND: &[Row] = &[
    ("legal", "Legal name", "본명", NO_NOTE),
    (
        "official",
        "Official name",
        "공식 명칭",
        "Of an organization or place.",
    ),
    ("alias", "Alias", "가명·별칭", NO_NOTE),
    ("former", "Former name", "이전 이름", NO_NOTE),
    ("abbreviation", "Abbreviation", "약칭", NO_NOTE),
    (
        "romanization_as_given",
        "Romanization as given by the source",
        "출처 표기 로마자",
        NO_NOTE,
    ),
    (
        "standard_romanization",
        "Standard romanization",
        "표준 로마자 표기",
        NO_NOTE,
    ),
    (
        "chinese_document",
        "Name in Chinese documents",
        "중국 문서상 이름",
        NO_NOTE,
    ),
    (
        "descriptive_label",
        "Descriptive label",
        "서술적 지칭",
        "For a person or group whose name is not known, e.g. \"women returned via Hyesan\".",
    ),
];

const ORG_TYPE: &[Row] = &[
    (
        "state_security",
        "State security agency",
        "국가 보위(안전) 기관",
        NO_NOTE,
    ),
    ("police", "Police / public security", "경찰·공안", NO_NOTE),
    (
        "border_guard",
        "Border guard / border defence",
        "국경경비대·변방 부대",
        NO_NOTE,
    ),
    ("ministry", "Ministry", "부처", NO_NOTE),
    ("government", "Government", "정부", NO_NOTE),
    ("court", "Court or prosecutor", "재판소·검찰소", NO_NOTE),
    ("military", "Military", "군", NO_NOTE),
    ("un_body", "UN body or mandate", "유엔 기구", NO_NOTE),
    (
        "ngo",
        "Non-governmental organization",
        "비정부기구",
        NO_NOTE,
    ),
    ("media", "Media outlet", "언론사", NO_NOTE),
    ("company", "Company", "기업", NO_NOTE),
];

/// Marks a row without a note (kept short for the tables above).
const NO_NOTE: &str = "";

fn table(v: Vocab) -> &'static [Row] {
    match v {
        Vocab::ActType => ACT_TYPE,
        Vocab::Category => CATEGORY,
        Vocab::PlaceType => PLACE_TYPE,
        Vocab::FacilityType => FACILITY_TYPE,
        Vocab::Involvement => INVOLVEMENT,
        Vocab::SourceType => SOURCE_TYPE,
        Vocab::Reliability => RELIABILITY,
        Vocab::Credibility => CREDIBILITY,
        Vocab::Basis => BASIS,
        Vocab::InterventionType => INTERVENTION_TYPE,
        Vocab::InterventionStatus => INTERVENTION_STATUS,
        Vocab::PersonStatus => PERSON_STATUS,
        Vocab::EventType => EVENT_TYPE,
        Vocab::Transport => TRANSPORT,
        Vocab::Sex => SEX,
        Vocab::NameScript => NAME_SCRIPT,
        Vocab::NameKind => NAME_KIND,
        Vocab::OrgType => ORG_TYPE,
    }
}

impl Vocabularies {
    /// The built-in vocabularies (built once, cloned on each call).
    pub fn builtin() -> Vocabularies {
        static BUILTIN: OnceLock<Vocabularies> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let terms = Vocab::ALL
                    .into_iter()
                    .map(|v| {
                        let terms = table(v)
                            .iter()
                            .map(|&(code, en, ko, note)| Term {
                                code: code.to_string(),
                                en: en.to_string(),
                                ko: ko.to_string(),
                                note: (!note.is_empty()).then(|| note.to_string()),
                            })
                            .collect();
                        (v, terms)
                    })
                    .collect();
                Vocabularies {
                    terms,
                    user: Vec::new(),
                }
            })
            .clone()
    }

    /// The built-in vocabularies plus stored user terms.
    pub fn with_user_terms(
        user: impl IntoIterator<Item = UserTerm>,
    ) -> Result<Vocabularies, (usize, VocabError)> {
        let mut v = Vocabularies::builtin();
        for (i, t) in user.into_iter().enumerate() {
            let UserTerm {
                vocab,
                code,
                en,
                ko,
                note,
            } = t;
            v.extend(vocab, Term { code, en, ko, note })
                .map_err(|e| (i, e))?;
        }
        Ok(v)
    }

    /// Add a user term, after checking its code syntax, labels and that the
    /// code is new in that vocabulary.
    pub fn extend(&mut self, vocab: Vocab, term: Term) -> Result<(), VocabError> {
        if vocab.is_closed() {
            return Err(VocabError::Closed(vocab));
        }
        if !is_valid_code(&term.code) {
            return Err(VocabError::BadCode);
        }
        for (label, name) in [(&term.en, "en"), (&term.ko, "ko")] {
            if label.trim().is_empty() || label.chars().count() > 200 {
                return Err(VocabError::BadLabel(name));
            }
        }
        if term.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(VocabError::NoteTooLong);
        }
        if self.lookup(vocab, &term.code).is_some() {
            return Err(VocabError::Duplicate {
                vocab,
                code: term.code,
            });
        }
        self.user.push(UserTerm {
            vocab,
            code: term.code.clone(),
            en: term.en.clone(),
            ko: term.ko.clone(),
            note: term.note.clone(),
        });
        self.terms.entry(vocab).or_default().push(term);
        Ok(())
    }

    /// The term `code` of `vocab`, if there is one.
    pub fn lookup(&self, vocab: Vocab, code: &str) -> Option<&Term> {
        self.terms.get(&vocab)?.iter().find(|t| t.code == code)
    }

    /// Is `code` a term of `vocab`?
    pub fn contains(&self, vocab: Vocab, code: &str) -> bool {
        self.lookup(vocab, code).is_some()
    }

    /// The terms of one vocabulary, built-in first, in table order.
    pub fn terms(&self, vocab: Vocab) -> impl Iterator<Item = &Term> {
        self.terms.get(&vocab).into_iter().flatten()
    }

    /// Every (vocabulary, term), for `tumen vocab`.
    pub fn iter(&self) -> impl Iterator<Item = (Vocab, &Term)> {
        self.terms
            .iter()
            .flat_map(|(v, ts)| ts.iter().map(move |t| (*v, t)))
    }

    /// Is this term one the user added (rather than built in)?
    pub fn is_user_term(&self, vocab: Vocab, code: &str) -> bool {
        self.user.iter().any(|t| t.vocab == vocab && t.code == code)
    }

    /// The user's terms, in the order they were added: what a store keeps.
    pub fn user_terms(&self) -> &[UserTerm] {
        &self.user
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(code: &str) -> Term {
        Term {
            code: code.into(),
            en: "Beating".into(),
            ko: "구타".into(),
            note: None,
        }
    }

    #[test]
    fn builtin_has_the_field_words() {
        let v = Vocabularies::builtin();
        assert_eq!(
            v.lookup(Vocab::FacilityType, "holding_centre").unwrap().ko,
            "집결소"
        );
        assert_eq!(
            v.lookup(Vocab::FacilityType, "political_prison_camp")
                .unwrap()
                .ko,
            "관리소"
        );
        assert_eq!(
            v.lookup(Vocab::FacilityType, "reeducation_camp")
                .unwrap()
                .ko,
            "교화소"
        );
        assert_eq!(
            v.lookup(Vocab::FacilityType, "pretrial_detention")
                .unwrap()
                .ko,
            "구류장"
        );
        assert_eq!(
            v.lookup(Vocab::FacilityType, "labour_training_camp")
                .unwrap()
                .ko,
            "노동단련대"
        );
        assert!(v.contains(Vocab::ActType, "forced_repatriation"));
        assert!(v.contains(Vocab::Category, "it_worker"));
        assert_eq!(
            v.lookup(Vocab::Reliability, "B").unwrap().en,
            "Usually reliable"
        );
        assert_eq!(
            v.lookup(Vocab::Credibility, "6").unwrap().en,
            "Truth cannot be judged"
        );
        assert!(v.lookup(Vocab::ActType, "Torture").is_none()); // codes are case-sensitive
        for vocab in Vocab::ALL {
            assert!(v.terms(vocab).count() >= 4, "{vocab}");
            assert_eq!(Vocab::parse(vocab.as_str()), Some(vocab));
            let mut codes: Vec<&str> = v.terms(vocab).map(|t| t.code.as_str()).collect();
            let n = codes.len();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), n, "duplicate code in {vocab}");
            for t in v.terms(vocab) {
                assert!(!t.en.is_empty() && !t.ko.is_empty(), "{vocab}:{}", t.code);
                assert!(
                    vocab.is_closed() || is_valid_code(&t.code),
                    "{vocab}:{}",
                    t.code
                );
            }
        }
    }

    #[test]
    fn extend_validates_and_persists() {
        let mut v = Vocabularies::builtin();
        v.extend(Vocab::ActType, term("beating")).unwrap();
        assert!(v.contains(Vocab::ActType, "beating"));
        assert!(v.is_user_term(Vocab::ActType, "beating"));
        assert!(!v.is_user_term(Vocab::ActType, "torture"));
        assert_eq!(
            v.extend(Vocab::ActType, term("beating")),
            Err(VocabError::Duplicate {
                vocab: Vocab::ActType,
                code: "beating".into()
            })
        );
        assert_eq!(
            v.extend(Vocab::ActType, term("torture")),
            Err(VocabError::Duplicate {
                vocab: Vocab::ActType,
                code: "torture".into()
            })
        );
        assert_eq!(
            v.extend(Vocab::ActType, term("Beating")),
            Err(VocabError::BadCode)
        );
        assert_eq!(
            v.extend(Vocab::ActType, term("1beating")),
            Err(VocabError::BadCode)
        );
        assert_eq!(v.extend(Vocab::ActType, term("")), Err(VocabError::BadCode));
        assert_eq!(
            v.extend(Vocab::ActType, term("beat ing")),
            Err(VocabError::BadCode)
        );
        assert_eq!(
            v.extend(Vocab::Reliability, term("g")),
            Err(VocabError::Closed(Vocab::Reliability))
        );
        let mut empty = term("kicking");
        empty.ko = " ".into();
        assert_eq!(
            v.extend(Vocab::ActType, empty),
            Err(VocabError::BadLabel("ko"))
        );
        // Same code in another vocabulary is fine.
        v.extend(Vocab::Category, term("beating")).unwrap();

        let stored = serde_json::to_string(v.user_terms()).unwrap();
        let back: Vec<UserTerm> = serde_json::from_str(&stored).unwrap();
        let w = Vocabularies::with_user_terms(back).unwrap();
        assert_eq!(w, v);
        assert_eq!(w.iter().count(), Vocabularies::builtin().iter().count() + 2);
        // A stored duplicate is reported with its position.
        let dup = vec![w.user_terms()[0].clone(), w.user_terms()[0].clone()];
        assert!(matches!(
            Vocabularies::with_user_terms(dup),
            Err((1, VocabError::Duplicate { .. }))
        ));
        // Unknown fields in stored terms are errors.
        assert!(
            serde_json::from_str::<UserTerm>(
                r#"{"vocab":"act_type","code":"x","en":"X","ko":"엑스","colour":1}"#
            )
            .is_err()
        );
    }
}
