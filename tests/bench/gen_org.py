#!/usr/bin/python3
"""gen_org.py: an organisation of offices for the org benchmark (make bench BENCH_SCENARIO=org).

    gen_org.py SEED_CAMPAIGN OUT_DIR --campaigns N --offices N [--offices-file FILE]
    gen_org.py --edit OUT_DIR/<campaign> --office ID     (change one post of one overlay)

Writes OUT_DIR/org-NN/ for NN = 01..N: copies of SEED_CAMPAIGN (its sources,
its id replaced and its own overlays left out), each with one overlay per
office, offices/oNNN.json: a name, a country, an IANA zone and languages
drawn from a fixed table, a local statement (statements/oNNN.md) and two
posts in the office's first language with floating times (resolved in the
office's zone).  Same arguments, same bytes.  With --offices-file the office
table (id, name, country, zone, languages, one JSON object a line) is also
written there, for kit-publish office add.

--edit rewrites the text of the office's first post in that campaign, so a
publish changes exactly one kit.
"""

import argparse
import json
import os
import shutil
import sys

# (country, zone, languages): real zones, spread over every offset from
# UTC-10 to UTC+10 (the seed's first floating post, 16 December 10:00, must fall in its window everywhere), languages from kit's table (pkg/campaign/text.c).
PLACES = [
    ("Hungary", "Europe/Budapest", ["hu", "en"]),
    ("Belgium", "Europe/Brussels", ["fr", "nl"]),
    ("Kenya", "Africa/Nairobi", ["sw", "en"]),
    ("Peru", "America/Lima", ["es", "en"]),
    ("Japan", "Asia/Tokyo", ["ja", "en"]),
    ("Turkmenistan", "Asia/Ashgabat", ["tk", "ru"]),
    ("Brazil", "America/Sao_Paulo", ["pt", "en"]),
    ("Iraq", "Asia/Baghdad", ["ar", "ku"]),
    ("Afghanistan", "Asia/Kabul", ["ps", "fa"]),
    ("Nepal", "Asia/Kathmandu", ["ne", "en"]),
    ("Philippines", "Asia/Manila", ["tl", "en"]),
    ("Papua New Guinea", "Pacific/Port_Moresby", ["en"]),
    ("Mexico", "America/Mexico_City", ["es"]),
    ("Canada", "America/Toronto", ["en", "fr"]),
    ("Ukraine", "Europe/Kyiv", ["uk", "en"]),
    ("Somalia", "Africa/Mogadishu", ["so", "ar"]),
    ("India", "Asia/Kolkata", ["hi", "en"]),
    ("Viet Nam", "Asia/Ho_Chi_Minh", ["vi", "en"]),
    ("Senegal", "Africa/Dakar", ["fr"]),
    ("United States", "Pacific/Honolulu", ["en"]),
]

TEXT = {
    "en": "Migrants strengthen the communities they join. Today we celebrate their work and their stories. #MigrantsDay",
    "fr": "Les migrants renforcent les communautés qui les accueillent. Aujourd'hui, nous célébrons leur travail. #MigrantsDay",
    "nl": "Migranten versterken de gemeenschappen waar ze deel van worden. Vandaag vieren we hun werk. #MigrantsDay",
    "hu": "A migránsok erősítik a közösségeiket. Ma az ő munkájukat és történeteiket ünnepeljük. #MigrantsDay",
    "sw": "Wahamiaji huimarisha jamii wanazojiunga nazo. Leo tunasherehekea kazi yao. #MigrantsDay",
    "es": "Los migrantes fortalecen las comunidades a las que llegan. Hoy celebramos su trabajo. #MigrantsDay",
    "ja": "移民は地域社会を強くします。今日は彼らの仕事と物語を祝います。#MigrantsDay",
    "tk": "Migrantlar jemgyýetleri güýçlendirýär. Şu gün olaryň zähmetini belleýäris. #MigrantsDay",
    "ru": "Мигранты укрепляют сообщества, в которые они приходят. Сегодня мы отмечаем их труд. #MigrantsDay",
    "pt": "Os migrantes fortalecem as comunidades que os recebem. Hoje celebramos o seu trabalho. #MigrantsDay",
    "ar": "يعزز المهاجرون المجتمعات التي ينضمون إليها. نحتفل اليوم بعملهم وقصصهم. #MigrantsDay",
    "ku": "Koçber civakên ku tevlî dibin xurt dikin. Îro em karê wan pîroz dikin. #MigrantsDay",
    "ps": "کډوال هغه ټولنې پیاوړې کوي چې ورسره یوځای کیږي. نن ورځ د دوی کار لمانځو. #MigrantsDay",
    "fa": "مهاجران جوامعی را که به آن می‌پیوندند تقویت می‌کنند. امروز کار آنان را گرامی می‌داریم. #MigrantsDay",
    "ne": "आप्रवासीहरूले समुदायलाई बलियो बनाउँछन्। आज हामी उनीहरूको कामको उत्सव मनाउँछौं। #MigrantsDay",
    "uk": "Мігранти зміцнюють громади, до яких приєднуються. Сьогодні ми відзначаємо їхню працю. #MigrantsDay",
    "so": "Muhaajiriintu waxay xoojiyaan bulshooyinka ay ku biiraan. Maanta waxaan dabaaldegaynaa shaqadooda. #MigrantsDay",
    "hi": "प्रवासी उन समुदायों को मज़बूत करते हैं जिनसे वे जुड़ते हैं। आज हम उनके काम का उत्सव मनाते हैं। #MigrantsDay",
    "tl": "Pinalalakas ng mga migrante ang mga komunidad na kanilang sinasalihan. Ngayon ipinagdiriwang natin ang kanilang gawain. #MigrantsDay",
    "vi": "Người di cư làm vững mạnh các cộng đồng nơi họ đến. Hôm nay chúng ta tôn vinh công việc của họ. #MigrantsDay",
}


def office_table(n):
    rows = []
    for i in range(1, n + 1):
        country, zone, langs = PLACES[(i - 1) % len(PLACES)]
        oid = "o%03d" % i
        rows.append({"id": oid, "name": "IOM %s %d" % (country, i), "country": country,
                     "timezone": zone, "languages": langs})
    return rows


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def overlay(o, campaign):
    lang = o["languages"][0]
    return {
        "id": o["id"], "name": o["name"], "country": o["country"], "timezone": o["timezone"],
        "languages": o["languages"],
        "statements": [{"file": "statements/%s.md" % o["id"], "title": "%s on Migrants Day" % o["name"],
                        "speaker": "Head of %s" % o["name"], "date": "2021-12-18", "language": "en"}],
        "posts": [
            {"id": "%s-x-1" % o["id"], "platform": "x", "time": "2021-12-18T10:00:00",
             "language": lang, "text": TEXT[lang]},
            {"id": "%s-fb-1" % o["id"], "platform": "facebook", "time": "2021-12-18T12:00:00",
             "language": lang, "text": TEXT[lang] + " (%s)" % campaign,
             "media": ["media/migrants-day-2021-card.svg"]},
        ],
    }


def generate(seed, out, ncamp, noff, offices_file):
    if not os.path.isfile(os.path.join(seed, "campaign.json")):
        sys.exit("gen_org: %s has no campaign.json" % seed)
    table = office_table(noff)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for c in range(1, ncamp + 1):
        cid = "org-%02d" % c
        d = os.path.join(out, cid)
        shutil.copytree(seed, d, ignore=shutil.ignore_patterns("offices"))
        # The seed's own office statements go with its overlays.
        with open(os.path.join(d, "campaign.json"), encoding="utf-8") as f:
            camp = json.load(f)
        keep = {s["file"] for s in camp.get("statements", [])}
        for name in os.listdir(os.path.join(d, "statements")):
            if "statements/" + name not in keep:
                os.unlink(os.path.join(d, "statements", name))
        camp["id"] = cid
        camp["title"] = "%s (copy %d)" % (camp["title"], c)
        write_json(os.path.join(d, "campaign.json"), camp)
        os.makedirs(os.path.join(d, "offices"))
        for o in table:
            write_json(os.path.join(d, "offices", o["id"] + ".json"), overlay(o, cid))
            with open(os.path.join(d, "statements", o["id"] + ".md"), "w", encoding="utf-8") as f:
                f.write("# %s\n\n%s marks International Migrants Day with its partners in %s.\n"
                        % (o["name"], o["name"], o["country"]))
    if offices_file:
        with open(offices_file, "w", encoding="utf-8") as f:
            for o in table:
                f.write(json.dumps(o, ensure_ascii=False) + "\n")


def edit(campaign_dir, office, n):
    path = os.path.join(campaign_dir, "offices", office + ".json")
    with open(path, encoding="utf-8") as f:
        o = json.load(f)
    o["posts"][0]["text"] = o["posts"][0]["text"].split(" [")[0] + " [correction %d]" % n
    write_json(path, o)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--campaigns", type=int, default=30)
    ap.add_argument("--offices", type=int, default=400)
    ap.add_argument("--offices-file")
    ap.add_argument("--edit")
    ap.add_argument("--office")
    ap.add_argument("--n", type=int, default=1)
    a = ap.parse_args()
    if a.edit:
        edit(a.edit, a.office, a.n)
        return
    if not a.seed or not a.out or not 1 <= a.campaigns <= 99 or not 1 <= a.offices <= 999:
        ap.error("give SEED_CAMPAIGN OUT_DIR, --campaigns 1..99, --offices 1..999")
    generate(a.seed, a.out, a.campaigns, a.offices, a.offices_file)


if __name__ == "__main__":
    main()
