"""Curated name material for the demo roster: surnames by frequency, given names, their pinyin.

Surname weights follow the published shares of China's most common surnames (per mille, rounded);
given names are common ones of the generations born 1955-2002. Pinyin (without tones) builds the
usernames, so every character used here has an entry in `PINYIN`.
"""
from __future__ import annotations

# surname: (pinyin, weight per mille of the population)
SURNAMES: dict[str, tuple[str, float]] = {
    "王": ("wang", 71.2), "李": ("li", 70.0), "张": ("zhang", 67.4), "刘": ("liu", 51.0), "陈": ("chen", 46.1),
    "杨": ("yang", 32.2), "黄": ("huang", 24.5), "赵": ("zhao", 21.9), "吴": ("wu", 20.8), "周": ("zhou", 20.5),
    "徐": ("xu", 16.7), "孙": ("sun", 15.4), "马": ("ma", 14.4), "朱": ("zhu", 12.6), "胡": ("hu", 11.8),
    "郭": ("guo", 11.3), "何": ("he", 10.9), "林": ("lin", 10.2), "高": ("gao", 10.0), "罗": ("luo", 9.7),
    "郑": ("zheng", 8.9), "梁": ("liang", 8.6), "谢": ("xie", 7.6), "宋": ("song", 6.5), "唐": ("tang", 6.2),
    "许": ("xu", 6.0), "韩": ("han", 5.9), "冯": ("feng", 5.7), "邓": ("deng", 5.6), "曹": ("cao", 5.5),
    "彭": ("peng", 5.3), "曾": ("zeng", 5.1), "肖": ("xiao", 5.0), "田": ("tian", 4.9), "董": ("dong", 4.7),
    "潘": ("pan", 4.4), "袁": ("yuan", 4.3), "蔡": ("cai", 4.2), "蒋": ("jiang", 4.2), "余": ("yu", 4.1),
    "于": ("yu", 4.0), "杜": ("du", 4.0), "叶": ("ye", 3.9), "程": ("cheng", 3.8), "魏": ("wei", 3.7),
    "苏": ("su", 3.6), "吕": ("lv", 3.5), "丁": ("ding", 3.4), "任": ("ren", 3.3), "卢": ("lu", 3.2),
    "姚": ("yao", 3.1), "沈": ("shen", 3.0), "钟": ("zhong", 2.9), "姜": ("jiang", 2.8), "崔": ("cui", 2.8),
    "谭": ("tan", 2.7), "陆": ("lu", 2.6), "范": ("fan", 2.5), "汪": ("wang", 2.5), "廖": ("liao", 2.4),
    "石": ("shi", 2.4), "金": ("jin", 2.3), "贾": ("jia", 2.2), "夏": ("xia", 2.1), "方": ("fang", 2.0),
    "邹": ("zou", 1.9), "熊": ("xiong", 1.9), "白": ("bai", 1.8), "孟": ("meng", 1.8), "秦": ("qin", 1.7),
    "邱": ("qiu", 1.7), "侯": ("hou", 1.6), "江": ("jiang", 1.6), "尹": ("yin", 1.5), "薛": ("xue", 1.5),
    "段": ("duan", 1.4), "雷": ("lei", 1.4), "黎": ("li", 1.3), "史": ("shi", 1.3), "陶": ("tao", 1.2),
    "贺": ("he", 1.2), "毛": ("mao", 1.1), "郝": ("hao", 1.1), "顾": ("gu", 1.0), "龚": ("gong", 1.0),
}

# Given names, by gender; single characters and two-character names (about 3 in 10 are single).
GIVEN_MALE_1 = "伟强军勇杰涛斌超明刚平辉鹏华飞波宇浩凯健俊建国志文海东林峰磊亮成新德永春振庆"
GIVEN_MALE_2 = (
    "建国 建军 建华 建平 建新 志强 志明 志刚 志勇 国强 国华 国庆 国平 海涛 海波 海峰 卫东 卫国 晓东 "
    "晓峰 晓明 文博 文杰 文华 浩然 宇航 俊杰 明辉 永强 永刚 德明 德华 振华 立新 立军 红军 新华 春生 "
    "家豪 鹏飞 伟民 学军 学文 学明 子轩 子涵 博文 天宇 俊峰 志伟 金龙 长青 玉林 庆华 宏伟 宏亮 世杰"
).split()
GIVEN_FEMALE_1 = "芳娟敏静丽艳霞燕玲婷秀英慧琳洁梅莉萍红雪倩颖佳欣晶兰凤丹琴云蓉"
GIVEN_FEMALE_2 = (
    "秀英 桂兰 丽娟 海燕 晓燕 秀兰 玉兰 桂英 丽华 春梅 红梅 美玲 慧敏 雅婷 婷婷 欣怡 思雨 梦洁 佳慧 "
    "晓敏 丽萍 淑芬 秀珍 玉梅 雪梅 静怡 文静 晓丽 凤英 建红 小红 艳红 丽丽 晓红 玉珍 秀云 金凤 春燕 "
    "晓雪 雨欣 佳琪 雅琴 慧娟 丽君 彩霞 冬梅 秋菊 月琴 玉芳 素芬 翠萍 晓琳 梦瑶 心怡 诗涵 若曦"
).split()

# Names that became common only with the generations born from the late 1980s on.
MODERN = frozenset("子轩 子涵 浩然 宇航 天宇 博文 欣怡 思雨 梦洁 雨欣 佳琪 梦瑶 心怡 诗涵 若曦 雅婷".split())

PINYIN: dict[str, str] = {
    **{char: py for char, (py, _) in SURNAMES.items()},
    "伟": "wei", "强": "qiang", "军": "jun", "勇": "yong", "杰": "jie", "涛": "tao", "斌": "bin", "超": "chao",
    "明": "ming", "刚": "gang", "平": "ping", "辉": "hui", "鹏": "peng", "华": "hua", "飞": "fei", "波": "bo",
    "宇": "yu", "浩": "hao", "凯": "kai", "健": "jian", "俊": "jun", "建": "jian", "国": "guo", "志": "zhi",
    "文": "wen", "海": "hai", "东": "dong", "林": "lin", "峰": "feng", "磊": "lei", "亮": "liang",
    "成": "cheng", "新": "xin", "德": "de", "永": "yong", "春": "chun", "振": "zhen", "庆": "qing",
    "晓": "xiao", "卫": "wei", "博": "bo", "然": "ran", "航": "hang", "立": "li", "红": "hong", "生": "sheng",
    "家": "jia", "豪": "hao", "民": "min", "学": "xue", "子": "zi", "轩": "xuan", "涵": "han", "天": "tian",
    "金": "jin", "龙": "long", "长": "chang", "青": "qing", "玉": "yu", "宏": "hong", "世": "shi",
    "芳": "fang", "娟": "juan", "敏": "min", "静": "jing", "丽": "li", "艳": "yan", "霞": "xia", "燕": "yan",
    "玲": "ling", "婷": "ting", "秀": "xiu", "英": "ying", "慧": "hui", "琳": "lin", "洁": "jie", "梅": "mei",
    "莉": "li", "萍": "ping", "雪": "xue", "倩": "qian", "颖": "ying", "佳": "jia", "欣": "xin", "晶": "jing",
    "兰": "lan", "凤": "feng", "丹": "dan", "琴": "qin", "云": "yun", "蓉": "rong", "桂": "gui", "美": "mei",
    "雅": "ya", "怡": "yi", "思": "si", "雨": "yu", "梦": "meng", "淑": "shu", "芬": "fen", "珍": "zhen",
    "小": "xiao", "君": "jun", "彩": "cai", "冬": "dong", "秋": "qiu", "菊": "ju", "月": "yue", "素": "su",
    "翠": "cui", "琪": "qi", "瑶": "yao", "心": "xin", "诗": "shi", "若": "ruo", "曦": "xi", "远": "yuan",
}

# Prefixes of mainland mobile numbers in use (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
).split()


def pinyin(text: str) -> str:
    """The toneless pinyin of a name made of the curated characters."""
    return "".join(PINYIN[char] for char in text)
