#!/usr/bin/env python3
"""Build data/demo/records.jsonl, the dataset `tumen demo` loads.

Edit this script, not the generated file, then run `python3 build_records.py`
from this directory and `cargo test -p tumen-model` (the demo test validates
every line). Records are written in dependency order: every reference points
to a record defined above it. See README.md for what is real and what is not.
"""
import json
import os
R = []
def add(**kw):
    R.append(kw)
def names(*triples):
    out = []
    for t in triples:
        d = {"text": t[0], "script": t[1], "kind": t[2]}
        if len(t) > 3 and t[3]: d["lang"] = t[3]
        if len(t) > 4 and t[4]: d["sensitivity"] = t[4]
        out.append(d)
    return out
def claim(src, cred=None, basis=None, locator=None, note=None):
    d = {"source": src}
    if cred: d["credibility"] = cred
    if basis: d["basis"] = basis
    if locator: d["locator"] = locator
    if note: d["note"] = note
    return d

# ---------------- Sources (real, public) ----------------
def src(id, st, title, publisher, date, url=None, rel="B", lang="en", desc=None, author=None, fictional=False, sens="public"):
    d = dict(kind="source", id=id, sensitivity=sens, source_type=st, title=title)
    if fictional: d["fictional"] = True
    if author: d["author"] = author
    if publisher: d["publisher"] = publisher
    if date: d["date"] = date
    if url: d["url"] = url
    d["reliability"] = rel
    d["language"] = lang
    if desc: d["description"] = desc
    R.append(d)

src("src-yonhap-2023-10-11", "news_report", "China forcibly repatriates some 600 N. Korean defectors this week: civic group",
    "Yonhap News Agency", "2023-10-11", "https://en.yna.co.kr/view/AEN20231011008851315",
    desc="Reports the claim of the Seoul NGO Justice For North Korea that about 600 North Koreans held in Jilin and Liaoning were sent back on the night of Monday 9 October via border cities such as Dandong and Hunchun, and that around 90 had been sent back on two buses since late August.")
src("src-rfa-2023-10-12", "news_report", "China repatriates N Korean escapees after Asian Games: source",
    "Radio Free Asia", "2023-10-12", "https://www.rfa.org/english/news/korea/china-repatriates-north-korean-defectors-10122023004404.html",
    desc="Quotes the J.M. Missionary Union: more than 500 returned around 19:30 on 9 October through customs posts at Tumen, Hunchun, Changbai, Dandong and Nanping; earlier returns on 29 August and 18 September.")
src("src-reuters-2023-10-12", "news_report", "No North Korean defectors in China, foreign ministry says",
    "Reuters", "2023-10-12", None, author="Andrew Hayley",
    desc="Chinese foreign ministry spokesperson Wang Wenbin: there are no 'so-called defectors' in China; people who entered illegally for economic reasons are handled according to law. URL not recorded.")
src("src-yonhap-2023-10-13", "news_report", "[Yonhap report of the Ministry of Unification briefing, 13 October 2023]",
    "Yonhap News Agency", "2023-10-13", "https://m-en.yna.co.kr/view/AEN20231013003751315",
    desc="Ministry of Unification spokesperson: it appears to be true that many North Koreans in China's three north-eastern provinces were repatriated; the government raised the issue sternly with China. Headline not recorded; title is descriptive.")
src("src-ucanews-2023-10-13", "news_report", "HRW decries China's forced repatriation of North Koreans",
    "UCA News", "2023-10-13", "https://www.ucanews.com/news/hrw-decries-chinas-forced-repatriation-of-north-koreans/102925",
    desc="Reports the Human Rights Watch statement: about 500 returned on 9 October in vehicle convoys over five separate border crossings (source: missionary Stephen Kim).")
src("src-hrw-2023-10", "ngo_report", "China Forcibly Returns More than 500 to North Korea",
    "Human Rights Watch", "2023-10-09/2023-10-13", None,
    desc="HRW statement published between the return of 9 October and the UCA News report of 13 October 2023 (exact day and URL not recorded here): more than 500 returned on 9 October 2023; 80 on 29 August and 40 on 18 September 2023.")
src("src-idea-2023-10", "ngo_report", "China - October 2023 (Democracy Tracker)",
    "International IDEA", "2023-10/..", "https://www.idea.int/democracytracker/report/china/october-2023", rel="B",
    desc="Monthly tracker entry for October 2023 (published in or after that month) citing OHCHR, HRW, BBC and SCMP: more than 500 returned on 9 October, most of them women; HRW confirmed 80 returned on 29 August and 40 on 18 September 2023.")
src("src-news1-2023-10-13", "news_report", "[News1 report on the UN Special Rapporteur's statement, October 2023]",
    "News1", "2023-10-13?", "https://www.news1.kr/articles/?5198755", lang="ko",
    desc="Korean-language report: support groups say China returned 400 to 600 escapees held long-term on 9 October; Special Rapporteur Elizabeth Salmon urges China and the DPRK to respect their obligations. Headline not recorded; title is descriptive.")
src("src-ohchr-2023-10-17", "un_press_release", "China must not forcibly repatriate North Korean escapees: UN experts",
    "OHCHR", "2023-10-17", "https://www.ohchr.org/en/press-releases/2023/10/china-must-not-forcibly-repatriate-north-korean-escapees-un-experts", rel="A",
    desc="UN experts alarmed by reports that China forcibly repatriated hundreds of escapees, the vast majority women; hundreds reportedly remain in detention.")
src("src-reuters-2023-12-07", "news_report", "Up to 600 N Korean defectors deported by China have vanished, says rights group",
    "Reuters (republished by Japan Today)", "2023-12-07", "https://japantoday.com/category/world/up-to-600-north-korean-defectors-deported-by-china-%27vanish%27-rights-group", author="Hyonhee Shin",
    desc="Reports the Transitional Justice Working Group: hundreds moved in guarded buses and vans from Chinese detention centres across the border on 9 October; no communication with them since; most are women.")
src("src-hrw-2023-09-21", "ngo_report", "Letter from Human Rights Watch to President Xi Jinping",
    "Human Rights Watch", "2023-09-21", "https://www.hrw.org/news/2023/09/21/letter-human-rights-watch-president-xi-jinping",
    desc="Asks China to stop forced returns; cites reports of about 2,000 North Koreans detained in China.")
src("src-tjwg-2023-08-11", "ngo_report", "Open letter on OHCHR's unacceptable silence on China's forcible repatriation of North Korean refugees",
    "Transitional Justice Working Group", "2023-08-11", "https://en.tjwg.org/2023/08/11/open-letter-on-ohchrs-unacceptable-silence-on-chinas-forcible-repatriation-of-north-korean-refugees/",
    desc="Open letter to the UN High Commissioner for Human Rights warning of the resumption of forced returns of reportedly as many as 2,000 North Koreans after the Hangzhou Asian Games.")
# The UN letter of July 2023 and China's reply, as reported in the Korean
# press once OHCHR published the reply (November 2023).
src("src-rfa-ko-2023-11-20", "news_report", "중국, '탈북민 강제송환 해명' 유엔 요청에 \"북한 내 고문 증거 없어\"",
    "Radio Free Asia (Korean service)", "2023-11-20", "https://www.rfa.org/korean/in_focus/human_rights_defector/repatriation-11202023092811.html", lang="ko", author="이정은",
    desc="Reports that OHCHR made public China's answer of 13 September 2023 to the UN experts' request to explain the forced returns: China argued that, with no evidence of torture or 'massive human rights violations' in North Korea, the non-return rule did not apply.")
src("src-segye-2023-11-20", "news_report", "“北 고문한단 증거 있나”…中, 탈북민 강제소환 불법성 부인",
    "Segye Ilbo", "2023-11-20", "https://www.segye.com/newsView/20231120513191", lang="ko",
    desc="Reports China's letter to OHCHR of 13 September 2023 denying that the forced returns breach the Convention against Torture.")
src("src-chosun-2023-11-21", "news_report", "中 \"北 인권침해 증거 없다\"며 강제 북송 부인",
    "Chosun Ilbo", "2023-11-21", "https://archive.chosun.com/pdf/i_service/pdf_ReadBody_s.jsp?Y=2023&M=11&D=21&ID=2023112101006JH602", lang="ko", author="김은중",
    desc="Print edition, page A6. China answered two months after the Special Rapporteur on the DPRK, Elizabeth Salmon, and other UN experts raised the returns with it in July 2023: no evidence of human rights violations in North Korea; the allegation of detaining some 2,000 North Koreans is groundless; they entered illegally and are not refugees.")
src("src-rfa-ko-2023-12-07", "news_report", "[RFA Korean report on the UN experts' letter to China of 18 July 2023]",
    "Radio Free Asia (Korean service)", "2023-12-07", "https://www.rfa.org/korean/news_indepth/nkchinadefector-12072023153714.html", lang="ko", author="서혜준",
    desc="States that on 18 July 2023 six UN mandate holders, among them Special Rapporteur Elizabeth Salmon, the vice-chair of the Working Group on Arbitrary Detention (Matthew Gillett) and the chair of the Working Group on Enforced or Involuntary Disappearances (Aua Baldé), sent China a seven-page letter; more than 2,000 North Koreans were believed detained in China as of July 2023. Headline not recorded; title is descriptive. The URL was read off a stored copy of the page, not opened.")

# Fictional sources
src("src-demo-testimony-001", "witness_testimony", "Testimony of the sister of a returned woman (FICTIONAL)",
    None, "2024-02-15", None, rel="C", lang="ko", fictional=True, sens="confidential",
    desc="FICTIONAL testimony invented for the tumen demo. No real person is described.")
src("src-demo-interview-002", "interview", "Interview with a former detainee of an MSS facility (FICTIONAL)",
    None, "2024-05", None, rel="C", lang="ko", fictional=True, sens="restricted",
    desc="FICTIONAL interview invented for the tumen demo. No real person is described.")

# ---------------- Places ----------------
def place(id, ns, pt, parent=None, lat=None, lon=None, facility=None, desc=None, fictional=False):
    d = dict(kind="place", id=id, sensitivity="public", names=names(*ns), place_type=pt)
    if fictional: d["fictional"] = True
    if facility: d["facility_type"] = facility
    if lat is not None: d["coordinates"] = {"lat": lat, "lon": lon}
    if parent: d["parent"] = parent
    if desc: d["description"] = desc
    R.append(d)

place("plc-prc", [("China", "latin", "official", "en"), ("중국", "hangul", "official", "ko"), ("中国", "hanja", "official", "zh")], "country")
place("plc-dprk", [("North Korea (DPRK)", "latin", "official", "en"), ("조선민주주의인민공화국", "hangul", "official", "ko"), ("朝鲜", "hanja", "official", "zh")], "country")
place("plc-liaoning", [("Liaoning", "latin", "official"), ("랴오닝성", "hangul", "official", "ko"), ("辽宁省", "hanja", "official", "zh")], "province", "plc-prc")
place("plc-jilin", [("Jilin", "latin", "official"), ("지린성", "hangul", "official", "ko"), ("吉林省", "hanja", "official", "zh")], "province", "plc-prc")
place("plc-yanbian", [("Yanbian Korean Autonomous Prefecture", "latin", "official"), ("연변조선족자치주", "hangul", "official", "ko"), ("延边朝鲜族自治州", "hanja", "official", "zh")], "prefecture", "plc-jilin")
place("plc-north-pyongan", [("North Pyongan", "latin", "standard_romanization"), ("평안북도", "hangul", "official", "ko"), ("平安北道", "hanja", "official")], "province", "plc-dprk")
place("plc-ryanggang", [("Ryanggang", "latin", "standard_romanization"), ("량강도", "hangul", "official", "ko"), ("兩江道", "hanja", "official")], "province", "plc-dprk")
place("plc-north-hamgyong", [("North Hamgyong", "latin", "standard_romanization"), ("함경북도", "hangul", "official", "ko"), ("咸鏡北道", "hanja", "official")], "province", "plc-dprk")
# Chinese side
place("plc-dandong", [("Dandong", "latin", "official"), ("단둥", "hangul", "official", "ko"), ("丹东", "hanja", "official", "zh")], "city", "plc-liaoning", 40.12, 124.38, desc="Approximate city-centre coordinates.")
place("plc-changbai", [("Changbai", "latin", "official"), ("창바이 (장백)", "hangul", "official", "ko"), ("长白", "hanja", "official", "zh")], "county", "plc-jilin", 41.42, 128.20, desc="Changbai Korean Autonomous County. Approximate coordinates.")
place("plc-helong", [("Helong", "latin", "official"), ("허룽 (화룡)", "hangul", "official", "ko"), ("和龙", "hanja", "official", "zh")], "city", "plc-yanbian", 42.53, 129.00, desc="County-level city; its Nanping crossing faces Musan. Approximate coordinates.")
place("plc-tumen", [("Tumen", "latin", "official"), ("투먼 (도문)", "hangul", "official", "ko"), ("图们", "hanja", "official", "zh")], "city", "plc-yanbian", 42.97, 129.84, desc="Approximate coordinates.")
place("plc-hunchun", [("Hunchun", "latin", "official"), ("훈춘", "hangul", "official", "ko"), ("珲春", "hanja", "official", "zh")], "city", "plc-yanbian", 42.87, 130.36, desc="Approximate coordinates.")
# DPRK side
place("plc-sinuiju", [("Sinuiju", "latin", "standard_romanization"), ("신의주", "hangul", "official", "ko"), ("新義州", "hanja", "official")], "city", "plc-north-pyongan", 40.10, 124.40, desc="Approximate coordinates.")
place("plc-hyesan", [("Hyesan", "latin", "standard_romanization"), ("혜산", "hangul", "official", "ko"), ("惠山", "hanja", "official")], "city", "plc-ryanggang", 41.40, 128.18, desc="Approximate coordinates.")
place("plc-musan", [("Musan", "latin", "standard_romanization"), ("무산", "hangul", "official", "ko"), ("茂山", "hanja", "official")], "county", "plc-north-hamgyong", 42.23, 129.22, desc="Approximate coordinates.")
place("plc-onsong", [("Onsong", "latin", "standard_romanization"), ("온성", "hangul", "official", "ko"), ("穩城", "hanja", "official")], "county", "plc-north-hamgyong", 42.95, 129.99, desc="Approximate coordinates.")
place("plc-namyang", [("Namyang", "latin", "standard_romanization"), ("남양", "hangul", "official", "ko"), ("南陽", "hanja", "official")], "town", "plc-onsong", 42.95, 129.87, desc="Workers' district of Onsong county across the Tumen river from Tumen city. Approximate coordinates.")
place("plc-kyongwon", [("Kyongwon", "latin", "standard_romanization"), ("경원", "hangul", "official", "ko"), ("慶源", "hanja", "official")], "county", "plc-north-hamgyong", desc="Coordinates not recorded.")
# Crossings
cross_desc = "One of the five crossings reported for the return of 9 October 2023."
place("crs-dandong-sinuiju", [("Dandong–Sinuiju crossing", "latin", "descriptive_label", "en"), ("단둥–신의주", "hangul", "descriptive_label", "ko"), ("Sino-Korean Friendship Bridge", "latin", "official", "en"), ("中朝友谊桥", "hanja", "official", "zh"), ("조중우의교", "hangul", "official", "ko")], "border_crossing", "plc-dandong", 40.12, 124.39, desc=cross_desc + " Road and rail bridge over the Yalu; approximate coordinates.")
place("crs-changbai-hyesan", [("Changbai–Hyesan crossing", "latin", "descriptive_label", "en"), ("장백–혜산", "hangul", "descriptive_label", "ko"), ("长白口岸", "hanja", "official", "zh")], "border_crossing", "plc-changbai", desc=cross_desc)
place("crs-helong-musan", [("Helong (Nanping)–Musan crossing", "latin", "descriptive_label", "en"), ("화룡(남평)–무산", "hangul", "descriptive_label", "ko"), ("南坪口岸", "hanja", "official", "zh")], "border_crossing", "plc-helong", desc=cross_desc)
place("crs-tumen-namyang", [("Tumen–Namyang crossing", "latin", "descriptive_label", "en"), ("도문–남양", "hangul", "descriptive_label", "ko"), ("图们口岸", "hanja", "official", "zh")], "border_crossing", "plc-tumen", desc=cross_desc + " Leads to Namyang in Onsong county.")
place("crs-hunchun-kyongwon", [("Hunchun–Kyongwon crossing", "latin", "descriptive_label", "en"), ("훈춘–경원", "hangul", "descriptive_label", "ko")], "border_crossing", "plc-hunchun", desc=cross_desc)
# Illustrative (fictional) facilities
place("fac-demo-tumen-detention", [("Border detention centre, Tumen (illustrative)", "latin", "descriptive_label", "en"), ("도문 변방 구류소 (예시)", "hangul", "descriptive_label", "ko")], "detention_facility", "plc-tumen", facility="prc_border_detention", fictional=True, desc="FICTIONAL/illustrative facility record for the demo; not a verified location.")
place("fac-demo-onsong-mss", [("MSS detention facility, Onsong (illustrative)", "latin", "descriptive_label", "en"), ("온성군 보위부 구류장 (예시)", "hangul", "descriptive_label", "ko")], "detention_facility", "plc-onsong", facility="mss_interrogation_detention", fictional=True, desc="FICTIONAL/illustrative facility record for the demo; not a verified location.")
place("fac-demo-hyesan-holding", [("Holding centre, Hyesan (illustrative)", "latin", "descriptive_label", "en"), ("혜산 집결소 (예시)", "hangul", "descriptive_label", "ko")], "detention_facility", "plc-hyesan", facility="holding_centre", fictional=True, desc="FICTIONAL/illustrative facility record for the demo; not a verified location.")
place("fac-demo-kyohwaso", [("Re-education camp (illustrative)", "latin", "descriptive_label", "en"), ("교화소 (예시)", "hangul", "descriptive_label", "ko")], "prison_camp", "plc-north-hamgyong", facility="reeducation_camp", fictional=True, desc="FICTIONAL/illustrative camp record for the demo; not a verified location.")

# ---------------- Organizations ----------------
def org(id, ns, ot, parent=None, desc=None):
    d = dict(kind="organization", id=id, sensitivity="public", names=names(*ns), org_type=ot)
    if parent: d["parent"] = parent
    if desc: d["description"] = desc
    R.append(d)

org("org-dprk-gov", [("Government of the DPRK", "latin", "official", "en"), ("조선민주주의인민공화국 정부", "hangul", "official", "ko")], "government")
org("org-dprk-mss", [("Ministry of State Security", "latin", "official", "en"), ("국가보위성", "hangul", "official", "ko"), ("國家保衛省", "hanja", "official"), ("Bowibu", "latin", "alias"), ("보위부", "hangul", "alias", "ko")], "state_security", "org-dprk-gov",
    desc="North Korea's political police; runs the kwalliso political prison camps and interrogates returnees.")
org("org-dprk-mosc", [("Ministry of Social Security", "latin", "official", "en"), ("사회안전성", "hangul", "official", "ko"), ("社會安全省", "hanja", "official"), ("Ministry of People's Security", "latin", "former", "en"), ("인민보안성", "hangul", "former", "ko")], "police", "org-dprk-gov",
    desc="North Korea's police; runs pre-trial detention (구류장), labour training camps and re-education camps (교화소).")
org("org-prc-gov", [("Government of the People's Republic of China", "latin", "official", "en"), ("中华人民共和国政府", "hanja", "official", "zh"), ("중국 정부", "hangul", "official", "ko")], "government")
org("org-prc-mps", [("Ministry of Public Security", "latin", "official", "en"), ("公安部", "hanja", "official", "zh"), ("공안부", "hangul", "official", "ko")], "police", "org-prc-gov")
org("org-prc-mps-border", [("Public security border units", "latin", "descriptive_label", "en"), ("边防公安", "hanja", "descriptive_label", "zh"), ("변방 공안", "hangul", "descriptive_label", "ko")], "border_guard", "org-prc-mps",
    desc="Border police and border inspection units under the Ministry of Public Security (since 2018 partly under the National Immigration Administration).")
org("org-prc-mfa", [("Ministry of Foreign Affairs", "latin", "official", "en"), ("外交部", "hanja", "official", "zh"), ("중국 외교부", "hangul", "official", "ko")], "ministry", "org-prc-gov")
org("org-rok-mou", [("Ministry of Unification (Republic of Korea)", "latin", "official", "en"), ("통일부", "hangul", "official", "ko")], "ministry")
org("org-ohchr", [("Office of the UN High Commissioner for Human Rights", "latin", "official", "en"), ("OHCHR", "latin", "abbreviation"), ("유엔 인권최고대표사무소", "hangul", "official", "ko")], "un_body")
org("org-un-sr-dprk", [("UN Special Rapporteur on the situation of human rights in the DPRK", "latin", "official", "en"), ("유엔 북한인권특별보고관", "hangul", "official", "ko")], "un_body", "org-ohchr",
    desc="Independent mandate of the Human Rights Council, supported (not directed) by OHCHR; parent link for navigation only.")
org("org-un-wgad", [("UN Working Group on Arbitrary Detention", "latin", "official", "en"), ("WGAD", "latin", "abbreviation"), ("유엔 자의적구금실무그룹", "hangul", "official", "ko")], "un_body", "org-ohchr",
    desc="Special procedure of the Human Rights Council, supported (not directed) by OHCHR; parent link for navigation only.")
org("org-un-wgeid", [("UN Working Group on Enforced or Involuntary Disappearances", "latin", "official", "en"), ("WGEID", "latin", "abbreviation"), ("유엔 강제실종실무그룹", "hangul", "official", "ko")], "un_body", "org-ohchr",
    desc="Special procedure of the Human Rights Council, supported (not directed) by OHCHR; parent link for navigation only.")
org("org-hrw", [("Human Rights Watch", "latin", "official", "en"), ("휴먼라이츠워치", "hangul", "official", "ko")], "ngo")
org("org-tjwg", [("Transitional Justice Working Group", "latin", "official", "en"), ("전환기 정의 워킹그룹", "hangul", "official", "ko"), ("TJWG", "latin", "abbreviation")], "ngo")
org("org-jfnk", [("Justice For North Korea", "latin", "official", "en")], "ngo")

# ---------------- Events ----------------
def event(id, et, title, date, places, count, transport, desc, claims, earlier=None):
    d = dict(kind="event", id=id, sensitivity="public", event_type=et, title=title, date=date)
    if places: d["places"] = places
    if count: d["people_affected"] = count
    if transport: d["transport"] = transport
    d["description"] = desc
    if earlier: d["earlier"] = earlier
    d["claims"] = claims
    R.append(d)

event("evt-2023-08-29", "repatriation", "Forced return of 80 people, 29 August 2023", "2023-08-29", [], "80", ["bus"],
      "First reported forced return after the DPRK reopened its border. HRW counts 80 people; Justice For North Korea spoke of around 90 sent back on two buses since late August.",
      [claim("src-hrw-2023-10", 2, "public_report"), claim("src-idea-2023-10", 2, "public_report"), claim("src-yonhap-2023-10-11", 3, "public_report", note="around 90 since late August, two buses")])
event("evt-2023-09-18", "repatriation", "Forced return of 40 people, 18 September 2023", "2023-09-18", [], "40", [],
      "Reported shortly before the Hangzhou Asian Games.",
      [claim("src-hrw-2023-10", 2, "public_report"), claim("src-rfa-2023-10-12", 3, "public_report")], earlier=["evt-2023-08-29"])
event("evt-2023-10-09", "mass_repatriation", "Mass forced repatriation of 9 October 2023", "2023-10-09",
      ["crs-dandong-sinuiju", "crs-changbai-hyesan", "crs-helong-musan", "crs-tumen-namyang", "crs-hunchun-kyongwon"], "500–600", ["bus", "van"],
      "The day after the Hangzhou Asian Games closed, detainees held in Jilin and Liaoning were driven in guarded convoys from Chinese detention centres to five border crossings after dark. Reported numbers: more than 500 (HRW), about 600 (Justice For North Korea, TJWG), 400–600 (support groups via News1). Most were women.",
      [claim("src-hrw-2023-10", 2, "public_report"), claim("src-ucanews-2023-10-13", 2, "public_report", note="five separate border crossings, vehicle convoys"),
       claim("src-rfa-2023-10-12", 2, "public_report", note="Tumen, Hunchun, Changbai, Dandong, Nanping; around 19:30"),
       claim("src-yonhap-2023-10-11", 2, "public_report"), claim("src-yonhap-2023-10-13", 1, "public_report", note="ROK government: appears to be true"),
       claim("src-reuters-2023-12-07", 2, "public_report", note="guarded buses and vans"), claim("src-news1-2023-10-13", 3, "public_report", note="400–600")],
      earlier=["evt-2023-09-18"])

# ---------------- Groups (persons with a head count) ----------------
def group(id, label_en, label_ko, size, cats, claims, desc, history=None):
    d = dict(kind="person", id=id, sensitivity="public", names=names((label_en, "latin", "descriptive_label", "en"), (label_ko, "hangul", "descriptive_label", "ko")), categories=cats, group_size=size)
    if history: d["status_history"] = history
    d["description"] = desc
    d["claims"] = claims
    R.append(d)

group("grp-2023-08-29", "People forcibly returned on 29 August 2023", "2023년 8월 29일 강제송환된 사람들", "80", ["defector"],
      [claim("src-hrw-2023-10", 2, "public_report")], "Group as reported; identities unknown.")
group("grp-2023-09-18", "People forcibly returned on 18 September 2023", "2023년 9월 18일 강제송환된 사람들", "40", ["defector"],
      [claim("src-hrw-2023-10", 2, "public_report")], "Group as reported; identities unknown.")
group("grp-2023-10-09", "People forcibly returned on 9 October 2023", "2023년 10월 9일 강제송환된 사람들", "500–600", ["defector", "woman"],
      [claim("src-hrw-2023-10", 2, "public_report"), claim("src-reuters-2023-12-07", 2, "public_report")],
      "Identities largely unknown; more than 70% estimated to be women (TJWG). Category 'woman' describes the majority, not every member.",
      history=[
        {"date": "2023-10-09", "status": "repatriated", "claims": [claim("src-hrw-2023-10", 2, "public_report")]},
        {"date": "2023-10-09/..", "status": "disappeared", "claims": [claim("src-reuters-2023-12-07", 2, "public_report", note="no communication established since the return")]},
      ])

# ---------------- Fictional persons ----------------
FICT = "FICTIONAL person invented for the tumen demo; the name is made up (예시 = 'example')."
R.append(dict(kind="person", id="prs-demo-001", sensitivity="restricted", access_groups=["demo-case-team"], fictional=True,
    field_sensitivity={"birth_date": "confidential", "origin": "restricted"},
    names=names(("Kim Ye-si", "latin", "romanization_as_given", "ko"), ("김예시", "hangul", "legal", "ko", "confidential"), ("金藝示", "hanja", "chinese_document", "zh", "confidential")),
    sex="female", birth_date="1989~", origin="plc-hyesan", categories=["woman", "defector"],
    status_history=[
        {"date": "2022-11~", "status": "detained_in_china", "place": "fac-demo-tumen-detention", "organization": "org-prc-mps-border", "claims": [claim("src-demo-testimony-001", 2, "heard_from_victim", "p. 2")]},
        {"date": "2023-10-09", "status": "repatriated", "place": "crs-tumen-namyang", "claims": [claim("src-demo-testimony-001", 2, "heard_from_victim", "p. 3"), claim("src-hrw-2023-10", 3, "public_report", note="consistent with the reported mass return")]},
        {"date": "2023-10/2023-12", "status": "held_by_mss", "place": "fac-demo-onsong-mss", "organization": "org-dprk-mss", "claims": [claim("src-demo-interview-002", 3, "saw_it", "00:14:20")]},
        {"date": "2024-Q1", "status": "sentenced", "claims": [claim("src-demo-testimony-001", 3, "hearsay", "p. 5")]},
        {"date": "2024-03/..", "status": "in_camp", "place": "fac-demo-kyohwaso", "organization": "org-dprk-mosc", "claims": [claim("src-demo-testimony-001", 3, "hearsay", "p. 5")]},
    ],
    description=FICT + " Left Hyesan in 2019, lived in Jilin, arrested in late 2022 and returned on 9 October 2023.",
    claims=[claim("src-demo-testimony-001", 2, "heard_from_victim")]))
R.append(dict(kind="person", id="prs-demo-002", sensitivity="confidential", access_groups=["demo-case-team"], fictional=True,
    names=names(("Pak Sam-ple", "latin", "romanization_as_given", "ko"), ("박샘플", "hangul", "legal", "ko")),
    sex="male", birth_date="1994", origin="plc-sinuiju", categories=["it_worker", "overseas_worker"],
    status_history=[
        {"date": "2023-06~", "status": "detained_in_china", "place": "plc-dandong", "organization": "org-prc-mps", "claims": [claim("src-demo-interview-002", 3, "heard_from_witness")]},
        {"date": "2023-08-29", "status": "repatriated", "place": "crs-dandong-sinuiju", "claims": [claim("src-demo-interview-002", 3, "heard_from_witness")]},
        {"date": "2023-09/..", "status": "disappeared", "claims": [claim("src-demo-interview-002", 4, "hearsay")]},
    ],
    description=FICT + " Whole record confidential: shows how a record is withheld from readers below clearance.",
    claims=[claim("src-demo-interview-002", 3, "heard_from_witness")]))
R.append(dict(kind="person", id="prs-demo-003", sensitivity="restricted", access_groups=["demo-case-team"], fictional=True,
    names=names(("Mother of Kim Ye-si", "latin", "descriptive_label", "en"), ("김예시의 어머니", "hangul", "descriptive_label", "ko", "confidential")),
    sex="female", birth_date="1962?", origin="plc-hyesan", categories=["family_member", "elderly"],
    status_history=[{"date": "2024~", "status": "released", "place": "plc-hyesan", "claims": [claim("src-demo-testimony-001", 3, "hearsay", "p. 6")], "note": "Questioned and placed under surveillance, not detained."}],
    description=FICT,
    claims=[claim("src-demo-testimony-001", 2, "heard_from_victim")]))

# ---------------- Acts ----------------
def act(id, at, victims, date, place, invs, claims, event=None, desc=None, fictional=False, sens="public", groups=None):
    d = dict(kind="act", id=id, sensitivity=sens)
    if groups: d["access_groups"] = groups
    if fictional: d["fictional"] = True
    d.update(act_type=at, victims=victims, date=date)
    if place: d["place"] = place
    if invs: d["involvements"] = [dict(perpetrator=p, degree=g) for p, g in invs]
    if event: d["event"] = event
    if desc: d["description"] = desc
    d["claims"] = claims
    R.append(d)

act("act-2023-08-29-refoulement", "forced_repatriation", ["grp-2023-08-29"], "2023-08-29", None, [("org-prc-gov", "direct_perpetrator")],
    [claim("src-hrw-2023-10", 2, "public_report")], event="evt-2023-08-29")
act("act-2023-09-18-refoulement", "forced_repatriation", ["grp-2023-09-18"], "2023-09-18", None, [("org-prc-gov", "direct_perpetrator")],
    [claim("src-hrw-2023-10", 2, "public_report")], event="evt-2023-09-18")
for crs, extra in [("crs-dandong-sinuiju", "src-yonhap-2023-10-11"), ("crs-changbai-hyesan", "src-rfa-2023-10-12"), ("crs-helong-musan", "src-rfa-2023-10-12"), ("crs-tumen-namyang", "src-rfa-2023-10-12"), ("crs-hunchun-kyongwon", "src-yonhap-2023-10-11")]:
    act(f"act-2023-10-09-{crs[4:]}", "forced_repatriation", ["grp-2023-10-09"], "2023-10-09", crs, [("org-prc-gov", "direct_perpetrator")],
        [claim("src-ucanews-2023-10-13", 2, "public_report", note="five crossings"), claim(extra, 3, "public_report")], event="evt-2023-10-09",
        desc="Part of the group returned through this crossing; the number per crossing was not reported.")
act("act-2023-10-09-disappearance", "enforced_disappearance", ["grp-2023-10-09"], "2023-10-09/..", None,
    [("org-dprk-gov", "direct_perpetrator"), ("org-prc-gov", "transferred_custody")],
    [claim("src-reuters-2023-12-07", 2, "public_report", note="no communication since the return; neither government acknowledged the deportation")], event="evt-2023-10-09")

D = dict(fictional=True, sens="restricted", groups=["demo-case-team"])
act("act-demo-001", "arrest", ["prs-demo-001"], "2022-11~", "plc-tumen", [("org-prc-mps-border", "direct_perpetrator")],
    [claim("src-demo-testimony-001", 2, "heard_from_victim", "p. 2")], desc="FICTIONAL. Arrested at her workplace.", **D)
act("act-demo-002", "arbitrary_detention", ["prs-demo-001"], "2022-11~/2023-10-09", "fac-demo-tumen-detention", [("org-prc-mps-border", "direct_perpetrator")],
    [claim("src-demo-testimony-001", 2, "heard_from_victim", "p. 2")], desc="FICTIONAL. Held for about eleven months without access to a lawyer.", **D)
act("act-demo-003", "forced_repatriation", ["prs-demo-001"], "2023-10-09", "crs-tumen-namyang", [("org-prc-mps-border", "transferred_custody"), ("org-dprk-mss", "direct_perpetrator")],
    [claim("src-demo-testimony-001", 2, "heard_from_victim", "p. 3")], event="evt-2023-10-09", desc="FICTIONAL. Driven by bus to the crossing and handed to MSS officers.", **D)
act("act-demo-004", "interrogation", ["prs-demo-001"], "2023-10~", "fac-demo-onsong-mss", [("org-dprk-mss", "direct_perpetrator")],
    [claim("src-demo-interview-002", 3, "saw_it", "00:14:20")], desc="FICTIONAL. Questioned about contacts with South Koreans and churches.", **D)
act("act-demo-005", "torture", ["prs-demo-001"], "2023-10/2023-11", "fac-demo-onsong-mss", [("org-dprk-mss", "direct_perpetrator")],
    [claim("src-demo-interview-002", 3, "saw_it", "00:16:05"), claim("src-demo-testimony-001", 4, "hearsay", "p. 4")], desc="FICTIONAL. Beatings during interrogation.", **D)
act("act-demo-006", "sentencing_without_fair_trial", ["prs-demo-001"], "2024-Q1", None, [("org-dprk-mosc", "direct_perpetrator")],
    [claim("src-demo-testimony-001", 3, "hearsay", "p. 5")], desc="FICTIONAL. Sentence reported to the family without a trial date.", **D)
act("act-demo-007", "imprisonment", ["prs-demo-001"], "2024-03/..", "fac-demo-kyohwaso", [("org-dprk-mosc", "direct_perpetrator")],
    [claim("src-demo-testimony-001", 3, "hearsay", "p. 5")], desc="FICTIONAL.", **D)
act("act-demo-008", "family_punishment", ["prs-demo-003"], "2024~", "plc-hyesan", [("org-dprk-mss", "direct_perpetrator")],
    [claim("src-demo-testimony-001", 3, "hearsay", "p. 6")], desc="FICTIONAL. Mother questioned and put under surveillance.", **D)
act("act-demo-009", "forced_repatriation", ["prs-demo-002"], "2023-08-29", "crs-dandong-sinuiju", [("org-prc-mps", "transferred_custody")],
    [claim("src-demo-interview-002", 3, "heard_from_witness")], event="evt-2023-08-29", desc="FICTIONAL.", fictional=True, sens="confidential", groups=["demo-case-team"])
act("act-demo-010", "enforced_disappearance", ["prs-demo-002"], "2023-09/..", None, [("org-dprk-mss", "direct_perpetrator")],
    [claim("src-demo-interview-002", 4, "hearsay")], desc="FICTIONAL.", fictional=True, sens="confidential", groups=["demo-case-team"])

# ---------------- Interventions ----------------
def inter(id, it, title, date, parties, status, claims, responds=None, acts=None, persons=None, events=None, desc=None, fictional=False, sens="public", groups=None, ref=None):
    d = dict(kind="intervention", id=id, sensitivity=sens)
    if groups: d["access_groups"] = groups
    if fictional: d["fictional"] = True
    d.update(intervention_type=it, title=title, date=date, parties=parties)
    if status: d["status"] = status
    if responds: d["responds_to"] = responds
    if ref: d["reference"] = ref
    if acts: d["acts"] = acts
    if persons: d["persons"] = persons
    if events: d["events"] = events
    if desc: d["description"] = desc
    d["claims"] = claims
    R.append(d)

inter("int-2023-07-un-letter", "un_special_procedures_letter", "Letter of six UN special procedures mandate holders to China on North Koreans detained there", "2023-07-18",
      ["org-un-sr-dprk", "org-un-wgad", "org-un-wgeid", "org-prc-gov"], "replied",
      [claim("src-rfa-ko-2023-12-07", 3, "public_report", note="date, senders, seven pages, more than 2,000 detained"),
       claim("src-chosun-2023-11-21", 2, "public_report", note="July 2023; Salmon and other experts")],
      desc="Seven-page letter from six mandate holders, among them the Special Rapporteur on the DPRK and the chairs of two working groups, about North Koreans detained in China (more than 2,000 believed held as of July 2023) and the risk of their return. The communication itself is not cited here; the day comes from one press report.")
inter("int-2023-08-11-tjwg", "open_letter", "TJWG open letter to the UN High Commissioner for Human Rights", "2023-08-11",
      ["org-tjwg", "org-ohchr"], "published", [claim("src-tjwg-2023-08-11", 1, "document")])
inter("int-2023-09-prc-reply", "state_reply", "China's reply to the UN experts' letter", "2023-09-13",
      ["org-prc-gov", "org-ohchr"], "closed",
      [claim("src-rfa-ko-2023-11-20", 2, "public_report"), claim("src-segye-2023-11-20", 2, "public_report"),
       claim("src-chosun-2023-11-21", 2, "public_report", note="two months after the letter")], responds="int-2023-07-un-letter",
      desc="Letter of 13 September 2023, made public by OHCHR in November 2023. China said there was no clear evidence of torture or 'massive human rights violations' in North Korea, so the non-refoulement rule of the Convention against Torture did not apply; called the allegation that it arbitrarily detains some 2,000 North Koreans groundless; and described them as illegal migrants, not refugees.")
inter("int-2023-09-21-hrw", "open_letter", "Human Rights Watch letter to President Xi Jinping", "2023-09-21",
      ["org-hrw", "org-prc-gov"], "published", [claim("src-hrw-2023-09-21", 1, "document")], events=["evt-2023-08-29", "evt-2023-09-18"])
inter("int-2023-10-12-prc-mfa", "media_statement", "Chinese foreign ministry: no 'so-called defectors' in China", "2023-10-12",
      ["org-prc-mfa"], "published", [claim("src-reuters-2023-10-12", 1, "public_report")], events=["evt-2023-10-09"])
inter("int-2023-10-13-rok", "diplomatic_protest", "South Korea raises the returns with China", "2023-10-13",
      ["org-rok-mou", "org-prc-gov"], "sent", [claim("src-yonhap-2023-10-13", 1, "public_report")], events=["evt-2023-10-09"])
inter("int-2023-10-17-un-experts", "un_press_release", "UN experts: China must not forcibly repatriate North Korean escapees", "2023-10-17",
      ["org-un-sr-dprk", "org-prc-gov"], "published", [claim("src-ohchr-2023-10-17", 1, "document")], events=["evt-2023-10-09"], persons=["grp-2023-10-09"], desc="Statement of UN experts, including the Special Rapporteur on the DPRK, published by OHCHR.")
inter("int-demo-wgeid", "submission_un_working_group", "Submission to the Working Group on Enforced or Involuntary Disappearances (FICTIONAL)", "2024-04",
      ["org-ohchr"], "acknowledged", [claim("src-demo-testimony-001", 2, "heard_from_victim")], acts=["act-demo-003", "act-demo-005", "act-demo-007"], persons=["prs-demo-001"],
      desc="FICTIONAL submission for the demo.", fictional=True, sens="restricted", groups=["demo-case-team"], ref="DEMO-0001")

# `python3 build_records.py -` writes the records to standard output instead
# (the model's demo test compares that with records.jsonl).
import sys
text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in R)
if sys.argv[1:] == ["-"]:
    sys.stdout.buffer.write(text.encode("utf-8"))
else:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "records.jsonl"), "w", encoding="utf-8") as f:
        f.write(text)
    print(len(R), "records")
