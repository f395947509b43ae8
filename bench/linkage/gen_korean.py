#!/usr/bin/env python3
"""Synthetic North Korean person records whose duplicates are written in
other scripts and romanizations, with a known truth (column `cluster`).

Variant rules are hand-written here (independent of tumen-names, which is
what is being tested): a table of surnames and given-name syllables with
their Hangul, traditional and simplified Hanja, Revised Romanization, McCune-
Reischauer (with and without breves/apostrophes), North Korean romanization
and Mandarin pinyin. Dates are partial (year only, year-month) or carry a
one-digit typo; sex and place are sometimes missing.

usage: gen_korean.py --persons N --seed S --out FILE.csv [--latin-share X]
"""
import argparse, csv, random

# hangul, hanja (trad), hanja (simp), RR, MR, MR without diacritics, DPRK, pinyin
SURNAMES = [
    ("김", "金", "金", "Gim", "Kim", "Kim", "Kim", "Jin"),
    ("리", "李", "李", "I", "Yi", "Yi", "Ri", "Li"),
    ("박", "朴", "朴", "Bak", "Pak", "Pak", "Pak", "Piao"),
    ("최", "崔", "崔", "Choe", "Ch'oe", "Choe", "Choe", "Cui"),
    ("정", "鄭", "郑", "Jeong", "Chŏng", "Chong", "Jong", "Zheng"),
    ("강", "姜", "姜", "Gang", "Kang", "Kang", "Kang", "Jiang"),
    ("조", "趙", "赵", "Jo", "Cho", "Cho", "Jo", "Zhao"),
    ("윤", "尹", "尹", "Yun", "Yun", "Yun", "Yun", "Yin"),
    ("장", "張", "张", "Jang", "Chang", "Chang", "Jang", "Zhang"),
    ("한", "韓", "韩", "Han", "Han", "Han", "Han", "Han"),
    ("현", "玄", "玄", "Hyeon", "Hyŏn", "Hyon", "Hyon", "Xuan"),
    ("송", "宋", "宋", "Song", "Song", "Song", "Song", "Song"),
    ("신", "申", "申", "Sin", "Sin", "Sin", "Sin", "Shen"),
    ("오", "吳", "吴", "O", "O", "O", "O", "Wu"),
    ("황", "黃", "黄", "Hwang", "Hwang", "Hwang", "Hwang", "Huang"),
]
# Common surnames are common: weights roughly as in Korean surname statistics.
SURNAME_WEIGHTS = [21, 15, 8, 5, 5, 2, 2, 2, 2, 2, 0.3, 1, 1, 1.5, 1.3]
SYLLABLES = [
    ("철", "哲", "哲", "cheol", "ch'ŏl", "chol", "chol", "zhe"),
    ("진", "鎭", "镇", "jin", "chin", "chin", "jin", "zhen"),
    ("영", "英", "英", "yeong", "yŏng", "yong", "yong", "ying"),
    ("호", "浩", "浩", "ho", "ho", "ho", "ho", "hao"),
    ("명", "明", "明", "myeong", "myŏng", "myong", "myong", "ming"),
    ("수", "秀", "秀", "su", "su", "su", "su", "xiu"),
    ("은", "恩", "恩", "eun", "ŭn", "un", "un", "en"),
    ("희", "姬", "姬", "hui", "hŭi", "hui", "hui", "ji"),
    ("성", "成", "成", "seong", "sŏng", "song", "song", "cheng"),
    ("광", "光", "光", "gwang", "kwang", "kwang", "kwang", "guang"),
    ("일", "日", "日", "il", "il", "il", "il", "ri"),
    ("순", "順", "顺", "sun", "sun", "sun", "sun", "shun"),
    ("옥", "玉", "玉", "ok", "ok", "ok", "ok", "yu"),
    ("혁", "革", "革", "hyeok", "hyŏk", "hyok", "hyok", "ge"),
    ("남", "男", "男", "nam", "nam", "nam", "nam", "nan"),
    ("국", "國", "国", "guk", "kuk", "kuk", "kuk", "guo"),
    ("학", "學", "学", "hak", "hak", "hak", "hak", "xue"),
    ("미", "美", "美", "mi", "mi", "mi", "mi", "mei"),
    ("화", "花", "花", "hwa", "hwa", "hwa", "hwa", "hua"),
    ("민", "敏", "敏", "min", "min", "min", "min", "min"),
    ("준", "俊", "俊", "jun", "chun", "chun", "jun", "jun"),
    ("경", "京", "京", "gyeong", "kyŏng", "kyong", "kyong", "jing"),
    ("선", "善", "善", "seon", "sŏn", "son", "son", "shan"),
    ("동", "東", "东", "dong", "tong", "tong", "dong", "dong"),
    ("석", "錫", "锡", "seok", "sŏk", "sok", "sok", "xi"),
    ("란", "蘭", "兰", "ran", "ran", "ran", "ran", "lan"),
    ("금", "錦", "锦", "geum", "kŭm", "kum", "kum", "jin"),
    ("복", "福", "福", "bok", "pok", "pok", "bok", "fu"),
]
PLACES = ["회령", "무산", "혜산", "청진", "신의주", "온성", "김책", "함흥", "평양", "원산",
          "남포", "강계", "사리원", "해주", "개성", "라선", "길주", "단천", "삼지연", "새별"]
# hangul, trad, simp, rr, mr, mr-plain, dprk, pinyin
SCRIPTS = ["hangul", "trad", "simp", "rr", "mr", "mrplain", "dprk", "pinyin"]


def render(sur, given, script, rng):
    i = SCRIPTS.index(script)
    s = sur[i]
    g = [x[i] for x in given]
    if script in ("hangul", "trad", "simp"):
        if script == "hangul" and s == "리" and rng.random() < 0.4:
            s = "이"  # the South Korean spelling of the same surname
        return s + "".join(g)
    if script == "pinyin":
        return f"{s} {''.join(g)}"
    joined = rng.choice(["-", " ", ""])
    gn = g[0].capitalize() + joined + (g[1].capitalize() if joined == " " else g[1])
    if rng.random() < 0.15:  # given name first
        return f"{gn} {s}"
    return f"{s} {gn}"


def mutate_date(d, rng):
    y, m, dd = d
    r = rng.random()
    if r < 0.25:
        return f"{y}"
    if r < 0.35:
        return f"{y}-{m:02d}"
    if r < 0.45:  # one-digit typo in the day
        dd2 = dd + rng.choice([-1, 1])
        dd2 = 2 if dd2 < 1 else (27 if dd2 > 28 else dd2)
        return f"{y}-{m:02d}-{dd2:02d}"
    if r < 0.5:
        return ""
    return f"{y}-{m:02d}-{dd:02d}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--latin-share", type=float, default=0.6,
                    help="share of duplicates written in a Latin script")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rows = []
    for p in range(a.persons):
        sur = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        given = (rng.choice(SYLLABLES), rng.choice(SYLLABLES))
        dob = (rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice("MF")
        place = rng.choice(PLACES)
        ndup = rng.choices([0, 1, 2, 3], [0.5, 0.3, 0.15, 0.05])[0]
        first = rng.choice(["hangul", "hangul", "trad", "dprk"])
        rows.append((p, render(sur, given, first, rng), sex, f"{dob[0]}-{dob[1]:02d}-{dob[2]:02d}", place))
        for _ in range(ndup):
            if rng.random() < a.latin_share:
                script = rng.choice(["rr", "mr", "mrplain", "dprk", "pinyin"])
            else:
                script = rng.choice(["hangul", "trad", "simp"])
            s2 = rng.choice({"M": ["M", "남", "male"], "F": ["F", "여", "female"]}[sex]) if rng.random() > 0.1 else ""
            pl = place if rng.random() > 0.2 else ""
            rows.append((p, render(sur, given, script, rng), s2, mutate_date(dob, rng), pl))
    rng.shuffle(rows)
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "sex", "date_of_birth", "place", "cluster"])
        for k, (p, name, sex, dob, place) in enumerate(rows):
            w.writerow([f"r{k}", name, sex, dob, place, f"p{p}"])


if __name__ == "__main__":
    main()
