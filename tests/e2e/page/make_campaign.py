#!/usr/bin/env python3
"""make_campaign.py DIR VIDEO [previous]: write the page test's campaign.

A campaign of 60 posts on every platform kit knows, in English, French,
Chinese, Arabic and Persian (right to left), with images, a video (VIDEO, a
WebM made by chromium) and an audio file (a WAV written here), statements
in English and Arabic, and an office overlay in Cairo.  The tricky posts
(URLs, emoji sequences, flags, skin tones, CJK, combining marks) have the
ids of the counts table in page.t.  With "previous", the version an office
had before: two posts fewer and one post's text different.
"""
import json, math, os, shutil, struct, sys, wave

out, video = sys.argv[1], sys.argv[2]
previous = len(sys.argv) > 3 and sys.argv[3] == "previous"
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "campaigns", "together-2016")
for d in ("media", "statements", "offices"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
shutil.copy(os.path.join(src, "media", "together-card.svg"), os.path.join(out, "media", "card.svg"))
shutil.copy(os.path.join(src, "media", "together-square.png"), os.path.join(out, "media", "square.png"))
shutil.copy(video, os.path.join(out, "media", "clip.webm"))
with wave.open(os.path.join(out, "media", "tone.wav"), "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000)))

with open(os.path.join(out, "about.md"), "w", encoding="utf-8") as f:
    f.write("# Who we are\n\nA test organisation with **values** and _principles_.\n\n- one\n- two\n")
with open(os.path.join(out, "statements", "en.md"), "w", encoding="utf-8") as f:
    f.write("# Together\n\nA statement in English, long enough to wrap on a phone: " + "migration " * 30 + "\n\n## Part two\n\nMore text.\n")
with open(os.path.join(out, "statements", "ar.md"), "w", encoding="utf-8") as f:
    f.write("# معاً\n\nبيان باللغة العربية عن اليوم الدولي للمهاجرين، يُقرأ من اليمين إلى اليسار.\n")

TAG = " #PageTest"
tricky = [
    ("tricky-x-url", "x", "Read the report https://www.example.org/reports/2026/migration/a-very-long-path-that-still-counts-as-23" + TAG, None),
    ("tricky-x-emoji", "x", "Family \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 and flags \U0001F1E7\U0001F1EA\U0001F1ED\U0001F1FA thumbs \U0001F44D\U0001F3FD" + TAG, None),
    ("tricky-x-cjk", "x", "\u56fd\u9645\u79fb\u6c11\u65e5" + TAG, None),
    ("tricky-x-combining", "x", "Cafe\u0301 re\u0301sume\u0301" + TAG, None),
    ("tricky-mastodon-url", "mastodon", "See https://example.org/a" + TAG, "https://example.org/b"),
    ("tricky-bluesky-emoji", "bluesky", "\U0001F469\U0001F3FE\u200D\U0001F4BB e\u0301" + TAG, None),
    ("tricky-instagram-cp", "instagram", "\U0001F468\u200D\U0001F469\u200D\U0001F467" + TAG, None),
]
langs = {"tricky-x-cjk": "zh"}
platforms = ["x", "facebook", "instagram", "linkedin", "mastodon", "threads", "bluesky"]
texts = {
    "en": "International Migrants Day: together we can realise the potential of human mobility, post {n}.",
    "fr": "Journée internationale des migrants : ensemble, réalisons le potentiel de la mobilité humaine, message {n}.",
    "zh": "国际移民日：携手释放人口流动的潜力，第{n}条。",
    "ar": "اليوم الدولي للمهاجرين: معاً نحقق إمكانات التنقل البشري، المنشور {n}.",
    "fa": "روز جهانی مهاجران: با هم می‌توانیم ظرفیت جابه‌جایی انسانی را محقق کنیم، پست {n}.",
}
order = ["en", "ar", "fr", "fa", "zh", "en", "ar", "en"]
posts = []
for i in range(60):
    day, slot = 15 + i % 3, 8 + (i // 3) % 12
    p = {"id": "p%02d" % i, "time": "2026-12-%02dT%02d:%02d:00" % (day, slot, (i // 36) * 30),
         "platform": platforms[i % len(platforms)], "language": order[i % len(order)]}
    if i < len(tricky):
        p["id"], p["platform"], p["text"], link = tricky[i]
        p["language"] = langs.get(p["id"], "en")
        if link:
            p["link"] = link
    else:
        p["text"] = texts[p["language"]].format(n=i) + TAG
        if i % 4 == 0:
            p["link"] = "https://www.example.org/migrants-day/%d" % i
    if i % 5 == 0:
        p["media"] = ["media/card.svg"]
    if i % 10 == 3:
        p["media"] = ["media/square.png", "media/card.svg"]
    if i == 8:
        p["platform"], p["media"] = "facebook", ["media/clip.webm"]
    if i == 9:
        p["platform"], p["media"] = "linkedin", ["media/tone.wav"]
    if p["platform"] == "instagram" and "media" not in p:
        p["media"] = ["media/square.png"]
    posts.append(p)
# one long unbreakable word and a long URL: must wrap on a phone
posts[12]["text"] = "Longword" + "x" * 120 + " https://www.example.org/" + "y" * 150 + TAG
posts[12]["platform"] = "facebook"
if previous:
    posts = posts[:-2]
    posts[10]["text"] = "An earlier wording." + TAG

campaign = {
    "id": "page-test", "title": "Page test: video, Arabic and sixty posts",
    "window": {"start": "2026-12-14T00:00:00+01:00", "end": "2026-12-18T23:59:59+01:00"},
    "timezone": "Europe/Zurich", "languages": ["en", "ar", "fa", "fr", "zh"], "hashtags": ["#PageTest"],
    "source_date": "2026-12-01T12:00:00Z", "about": "about.md",
    "statements": [
        {"file": "statements/en.md", "title": "Together", "speaker": "The Director General", "date": "2026-12-18", "language": "en"},
        {"file": "statements/ar.md", "title": "معاً", "speaker": "المدير العام", "date": "2026-12-18", "language": "ar"}],
    "videos": [{"title": "الفيديو", "url": "https://www.example.org/video", "language": "ar"}],
    "media": [
        {"file": "media/card.svg", "alt": "Blue card reading TOGETHER."},
        {"file": "media/square.png", "alt": "Square blue card."},
        {"file": "media/clip.webm", "alt": "Two seconds of a white square moving across a blue field."},
        {"file": "media/tone.wav", "alt": "One second of a 440 Hz tone."}],
    "posts": posts,
}
with open(os.path.join(out, "campaign.json"), "w", encoding="utf-8") as f:
    json.dump(campaign, f, ensure_ascii=False, indent=1)
office = {"id": "cairo", "name": "Cairo office", "country": "Egypt", "timezone": "Africa/Cairo",
          "languages": ["ar", "en"], "presence_since": 1991,
          "contact": {"name": "A. Contact", "role": "Communication", "email": "contact@example.org", "phone": "+20 2 0000 0000"}}
with open(os.path.join(out, "offices", "cairo.json"), "w", encoding="utf-8") as f:
    json.dump(office, f, ensure_ascii=False, indent=1)
