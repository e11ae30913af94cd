"""Harder constructed messages for telling classification methods apart (not real data).

``bench/text_material.py`` writes messages whose classes use nearly disjoint vocabularies: every
reasonable model scores ~1.0 on them. Real message-board data is harder in ways this module
imitates, each with a knob in :class:`Difficulty`:

- **long details** (150–1,250 characters, median ~400): boilerplate openings and closings
  (尊敬的领导 / 您好 / 希望尽快解决 / 谢谢), the writer's background, the history of earlier
  complaints, appeals to the law, masked places (A市A3区, XX小区, A1街道), dates, amounts,
  order numbers, phone and ID fragments, stray whitespace and tabs as pasted from web forms;
- **confusable pairs**: pairs of issues in two classes that share their setting and most words and
  differ only in the grievance (noise of a building site: night work without a permit → 城乡建设,
  decibels over the limit → 环境保护; 工程款 owed to a subcontractor → 城乡建设, wages owed to
  the workers → 劳动和社会保障; a school canteen's food poisoning → 卫生计生, its fees →
  教育文体 …), see :data:`PAIRS`;
- **several topics in one message**: a side paragraph about another class's problem ("另外 …");
  only the main grievance (title and most of the detail) decides the label;
- **vague titles** (求助！, 关于A3区的问题, 咨询一个问题) that say nothing about the class;
- **colloquial rewording** (synonyms, 咋/啥/弄), homophone typos, dropped characters;
- **class imbalance** as on real boards (largest class ~3× the smallest, ``SHARES``);
- **label noise**: a share of messages carry another label, mostly the confusable neighbour's
  (dispatchers disagree on exactly those).

Every text is written for this project: the fragments of ``bench/text_material.py`` plus the
pairs, side topics and rewordings below. Figures on this material are not figures on real
messages; the material exists so that two methods can be compared on something harder than the
old set, in several independent draws (``seed``).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from bench.text_material import (
    ASKS,
    CONTACT,
    ELABORATIONS,
    FEELINGS,
    SHARES,
    SINCE,
    TOPICS,
    WHO,
    Topic,
    _place,
)

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "text"


@dataclass(frozen=True, slots=True)
class Difficulty:
    """Shares (0–1) of messages that carry each difficulty."""

    pair: float = 0.45  # the main issue is one side of a confusable pair
    side: float = 0.45  # a side paragraph about another class's problem
    vague_title: float = 0.15  # the title says nothing about the class
    label_noise: float = 0.04  # the label is another class's (mostly the confusable one)
    colloquial: float = 0.5  # per-word chance of a synonym / colloquial variant
    typo_per_100: float = 0.6  # homophone typos per 100 characters
    unseen: float = 0.35  # with ``split``: share of fragment choices made from that half only


@dataclass(frozen=True, slots=True)
class Pair:
    """Two issues in one setting: shared context sentences, and the grievance of each class."""

    labels: tuple[str, str]
    titles: tuple[tuple[str, ...], tuple[str, ...]]
    context: tuple[str, ...]
    grievances: tuple[tuple[str, ...], tuple[str, ...]]
    demands: tuple[tuple[str, ...], tuple[str, ...]]


def P(a: str, b: str, titles_a: str, titles_b: str, context: str, griev_a: str, griev_b: str,
      dem_a: str, dem_b: str) -> Pair:  # fmt: skip
    """A pair from '|'-separated lists."""
    s = str.split
    return Pair(
        (a, b),
        (tuple(s(titles_a, "|")), tuple(s(titles_b, "|"))),
        tuple(s(context, "|")),
        (tuple(s(griev_a, "|")), tuple(s(griev_b, "|"))),
        (tuple(s(dem_a, "|")), tuple(s(dem_b, "|"))),
    )


PAIRS: tuple[Pair, ...] = (
    P(
        "城乡建设",
        "环境保护",
        "{district}{estate}旁工地夜间施工|{street}工地无证夜间施工|{estate}附近工地施工管理混乱",
        "{district}{estate}旁工地噪音超标|{street}工地噪声污染严重|{estate}附近工地噪音扬尘污染",
        "我们小区旁边有一个在建的工地|工地离居民楼只有二三十米|工地每天晚上都在施工，打桩机、"
        "挖掘机轰隆隆的响|渣土车进进出出，路面全是泥|家里有老人和小孩，晚上根本睡不着",
        "施工单位根本没有办理夜间施工许可，想什么时候干就什么时候干|工地围挡倒了也不修，施工"
        "安全存在很大隐患|我们打电话问住建局，说这个项目的施工许可证还没批下来就开工了|工地"
        "管理混乱，施工方说是赶工期，城管来了也不管用",
        "我们用手机测了一下，晚上的噪音有七八十分贝，远远超过国家标准|噪声污染严重超标，"
        "还有扬尘污染，家里每天一层灰|环保部门来测过一次噪声，说超标了，可是也没有处罚"
        "|工地粉尘和噪声污染让很多居民得了失眠和咽炎",
        "请住建部门依法查处无证施工|请城管执法部门责令工地规范施工时间|请求住建局加强工地管理",
        "请环保部门对噪声进行监测并依法处罚|请生态环境局查处噪声和扬尘污染|要求环保部门夜间执法",
    ),
    P(
        "城乡建设",
        "劳动和社会保障",
        "{estate}项目拖欠工程款|{company}拖欠分包工程款|{district}某工程项目欠款不还",
        "{estate}项目拖欠农民工工资|{company}拖欠工人工资|{district}某工地农民工讨薪",
        "我们在{district}{estate}项目干活|这个项目是{company}承建的|项目早就完工交付了"
        "|开发商说钱已经付给总包了，总包又说开发商没结清|我们找了项目部很多次",
        "我们公司作为分包单位，工程款还有三百多万没有结算|工程竣工验收两年了，总包单位一直"
        "拖着不办结算，工程款一分都不给|建设单位拖欠工程进度款，我们垫资施工，现在资金链断了"
        "|工程质量验收合格，可是工程尾款就是不付",
        "我们二十几个工人的工资拖了大半年，老板一分钱都不给|我们是农民工，一年到头就指望这点"
        "工钱过年|包工头跑了，我们的工资没人管，劳动监察大队说要走仲裁|工人每天干十个小时，"
        "工资却一拖再拖",
        "请住建部门督促建设单位支付工程款|请求有关部门协调工程款结算|请住建局把这家公司列入黑名单",
        "请劳动监察部门帮我们讨回工资|请人社局依法处理欠薪|希望政府帮农民工讨回血汗钱",
    ),
    P(
        "卫生计生",
        "教育文体",
        "{school}食堂卫生问题|{school}学生食物中毒|{school}食堂饭菜变质",
        "{school}食堂收费问题|{school}强制学生在食堂就餐|{school}伙食费乱收",
        "孩子在{school}读书，中午在学校食堂吃饭|学校有一千多名学生在食堂就餐|家长们都很关心"
        "孩子在学校吃得怎么样|学校食堂是外包给一家公司经营的",
        "上周好几个孩子吃完饭上吐下泻，送去医院说是食物中毒|食堂的菜有的都馊了，肉也不新鲜，"
        "厨房里苍蝇乱飞|食堂工作人员没有健康证|食品安全出了问题，卫生监督部门也没有来检查",
        "学校强制所有学生在食堂吃饭，每个月伙食费六百多元，却吃不饱|伙食费收了也不公示账目"
        "|学校不允许家长给孩子送饭，还要另外收取服务费|学校还以各种名义收取资料费、校服费",
        "请卫生监督部门彻查食堂的食品安全|请求卫健委调查食物中毒事件|请疾控部门介入",
        "请教育局查处学校乱收费|请求规范学校食堂收费|请教育部门公开伙食费账目",
    ),
    P(
        "劳动和社会保障",
        "卫生计生",
        "{district}医保报销比例问题|城乡居民医保缴费上涨|异地就医医保报销难",
        "{hospital}收费不合理|{hospital}过度检查|{hospital}看病贵",
        "我母亲前段时间在{hospital}住院|住院一个月花了三万多块钱|我们是普通农民家庭，"
        "看一次病负担太重|出院的时候拿到了费用清单",
        "医保只报销了百分之四十，很多药都不在医保目录里|城乡居民医保每年缴费都在涨，今年每人"
        "要交三百多|异地就医备案手续太复杂，社保局让我们回原籍报销|医保局说报销比例是按政策定的",
        "医院给开了一大堆不必要的检查，一个感冒做了CT和核磁共振|费用清单上有很多根本没做过的"
        "项目|医生开的进口药比药店贵一倍|医院还私自收取床位费和护理费",
        "请医保局提高报销比例|请人社部门简化异地就医备案|希望降低城乡居民医保缴费标准",
        "请卫健委调查医院乱收费|要求医院退还多收的费用|请卫生部门规范医疗收费",
    ),
    P(
        "商贸旅游",
        "卫生计生",
        "{estate}旁超市卖过期食品|{street}超市商品质量问题|{district}商家以次充好",
        "{street}餐馆食品安全问题|{district}小作坊制售不合格食品|{estate}附近餐馆吃坏肚子",
        "我在{street}一家店买了东西|这家店开在我们小区门口，生意很好|店里的商品都是"
        "散装的，没有标签|我拿着小票去找老板",
        "超市卖的牛奶过期了好几天还在货架上|商家缺斤少两，一斤肉少了二两|买的东西质量太差，"
        "老板不给退换还骂人|价格标签和结账的价格不一样，明显是价格欺诈",
        "吃了这家店的东西全家拉肚子，去医院看了说是细菌感染|后厨卫生太差，地沟油反复使用"
        "|小作坊没有食品生产许可，卫生条件极差|食品里吃出了虫子，担心会有食品安全问题",
        "请市场监管部门查处价格欺诈|要求商家退货赔偿|请求维护消费者权益",
        "请食品安全监管部门查处|请卫生部门检查这家店的卫生|请求取缔无证小作坊",
    ),
    P(
        "交通运输",
        "城乡建设",
        "{street}公交站点设置不合理|{district}公交线路调整|{street}路口拥堵",
        "{street}道路破损严重|{street}市政道路施工拖延|{estate}门口路灯不亮",
        "{street}是我们上下班的必经之路|这一带住了好几万人|每天早晚高峰人特别多"
        "|附近有好几个小区和一所学校",
        "公交站离小区太远，线路调整后要走二十分钟才能坐上车|红绿灯时间设置不合理，路口天天"
        "堵车|公交车班次太少，半个小时才来一趟|路口没有交警疏导，乱成一锅粥",
        "路面到处是坑，下雨天积水没过脚踝|道路改造工程挖开了半年还没有完工|人行道的砖都"
        "翘起来了，老人经常摔跤|路灯坏了半年没人修，晚上黑漆漆的",
        "请交通运输局优化公交线路|请交警部门调整信号灯配时|请求增加公交班次",
        "请市政部门尽快修复道路|请住建部门加快工程进度|请城管部门修复路灯",
    ),
    P(
        "环境保护",
        "城乡建设",
        "{estate}旁垃圾站臭气熏天|{village}垃圾焚烧污染|{district}垃圾处理厂污染",
        "{estate}垃圾清运不及时|{estate}环境卫生差|{village}环境卫生无人管",
        "我们{estate}门口有一个垃圾中转站|小区里有几千户人家|夏天温度高|垃圾站每天进出很多垃圾车",
        "垃圾站的臭味飘进家里，窗户都不敢开，环保部门测了说氨气超标|垃圾渗滤液直接流进"
        "旁边的河里，河水都变黑了|晚上偷偷焚烧垃圾，浓烟呛人，空气污染严重|垃圾处理厂的"
        "废气排放不达标",
        "垃圾桶满了好几天都没人清运，苍蝇蚊子到处飞|物业和环卫互相推诿，小区卫生没人管"
        "|小区绿化带里堆满了建筑垃圾|保洁员太少，楼道里到处是垃圾",
        "请环保部门对垃圾站进行环境监测|请生态环境局查处污染|请求将垃圾站搬离居民区",
        "请城管部门督促环卫及时清运|请住建部门督促物业整改|希望加强环境卫生管理",
    ),
    P(
        "教育文体",
        "商贸旅游",
        "{district}校外培训机构违规办学|{school}老师在校外办培训班|{district}培训机构无证办学",
        "{district}培训机构预付费退款难|{company}健身卡退费难|{district}培训机构老板跑路",
        "去年给孩子在一家培训机构报了名|这家机构在{street}有好几个校区|当时交了一万多块钱"
        "|机构的销售承诺可以随时退费",
        "这家机构没有办学许可证，违规开展学科类培训|在职老师在机构里兼职上课，上课时给学生"
        "透露考题|机构聘请的老师都没有教师资格证|教育局说校外培训要严格监管，可是这家还在上课",
        "现在我们要求退剩下的课时费，机构一直拖着不退|机构突然关门了，几百个家长的预付费"
        "退不回来|合同上写的条款都是霸王条款|市场监管局说这是消费纠纷，让我们自己协商",
        "请教育局查处违规办学|请求教育部门加强校外培训监管|请教育局规范在职教师行为",
        "请市场监管部门督促退费|请求依法处理消费纠纷|希望加强对预付卡消费的监管",
    ),
    P(
        "教育文体",
        "劳动和社会保障",
        "{school}教师绩效工资未发|{district}乡村教师待遇问题|{district}代课教师身份问题",
        "{company}拖欠员工工资|{district}公益性岗位工资拖欠|{company}不交社保",
        "我在{district}工作了十几年|单位里和我一样情况的有好几十人|每个月工资只有两千多"
        "|我们多次向单位领导反映",
        "我是一名乡村教师，绩效工资已经两年没有发了|教育局说代课教师的身份问题要等政策|"
        "我们学校的老师教学任务很重，待遇却低于公务员|特岗教师服务期满了却迟迟不给入编",
        "公司已经拖欠我们四个月工资，老板说没钱|单位一直不给我们缴纳社会保险和住房公积金"
        "|公司违法解除劳动合同，不给经济补偿|我们签了劳动合同，可是公司不给加班费",
        "请教育局落实教师待遇|请求解决代课教师身份问题|请教育部门按时发放绩效工资",
        "请人社局依法处理欠薪|请劳动监察大队督促公司补缴社保|请劳动部门维护我们的权益",
    ),
    P(
        "交通运输",
        "环境保护",
        "{street}渣土车超载超速|{district}货车超载压坏道路|{street}大货车闯红灯",
        "{street}渣土车扬尘污染|{district}货车尾气污染|{street}渣土车撒漏污染",
        "最近{street}上来往的渣土车特别多|这些车都是从附近工地拉土的|一天到晚几百台车"
        "|这条路两边都是居民楼",
        "渣土车严重超载，车速很快，经常闯红灯|超限超载的货车把路压得坑坑洼洼|已经发生了好几起"
        "交通事故|交警和交通部门很少上路检查",
        "渣土车不盖篷布，沿路撒漏，扬尘污染严重|货车尾气冒黑烟，空气质量很差|我们家窗台"
        "每天都是厚厚的灰尘，PM2.5爆表|扬尘污染让很多人得了呼吸道疾病",
        "请交通部门治理超限超载|请交警加强路面执法|请求限制货车通行时段",
        "请环保部门治理扬尘污染|要求渣土车密闭运输|请生态环境局加强大气污染监管",
    ),
    P(
        "商贸旅游",
        "环境保护",
        "{district}景区乱收费|{town}景区管理混乱|{district}景区强制消费",
        "{town}景区开发破坏生态|{district}景区污水直排|{town}景区垃圾污染",
        "国庆节我们一家去了{town}的景区|这个景区是近几年开发的|游客很多|景区里有很多农家乐",
        "景区门票一百多元，进去以后每个项目还要另外收费|导游带我们去购物点，不买东西就不让走"
        "|景区停车费一次五十元，也没有发票|景区里的商品价格比外面贵好几倍",
        "景区开发时砍了大片树林，山体裸露，水土流失严重|农家乐的污水直接排进河里，河水发臭"
        "|景区垃圾堆成山，没人处理，污染了水源|景区修路把湿地都填了",
        "请旅游主管部门规范景区收费|请市场监管部门查处强制消费|请求整顿景区秩序",
        "请环保部门查处景区污染|请求恢复被破坏的生态|请生态环境局督促景区整改",
    ),
    P(
        "城乡建设",
        "交通运输",
        "{estate}停车位只售不租|{estate}车库产权问题|{estate}小区停车管理混乱",
        "{street}停车收费不合理|{district}路边停车乱收费|{street}违停严重无人管",
        "我们小区有两千多户，私家车越来越多|停车难是大家最头疼的事情|每天晚上回来找不到车位"
        "|小区外面的路上也停满了车",
        "开发商把地下车位只卖不租，一个车位要二十多万|物业把小区公共道路划成车位收费|"
        "车库的产权不明确，开发商说是他们的|物业收取的停车费去向不明，业主委员会也查不到",
        "路边停车位收费没有标准，收费员随口要价|违停的车把路堵死了，交警也不来处理"
        "|公共停车场收费太高，一小时十元|电子收费系统乱扣费",
        "请住建部门规范小区车位销售|请求明确车库产权|请房产部门督促物业公开停车费收支",
        "请交通部门规范停车收费|请交警加强违停治理|请求增加公共停车位",
    ),
)

# Side paragraphs take another class's problem sentences (``TOPICS``) after one of these.
SIDE_OPENERS = ["另外，", "还有一个问题，", "顺便再反映一下，", "再说一个事，", "此外，",
                "还有就是", "另外还想问一下，"]  # fmt: skip

VAGUE_TITLES = [
    "求助！",
    "咨询一个问题",
    "关于{district}的问题",
    "请领导帮帮我们",
    "反映一个情况",
    "一个老百姓的心声",
    "{district}{estate}居民的诉求",
    "急！！！",
    "恳请领导关注",
    "再次反映问题",
    "关于{street}的问题反映",
    "建议",
    "A市{district}群众来信",
]

OPENINGS = [
    "尊敬的领导：您好！",
    "尊敬的市长：",
    "尊敬的各位领导，你们好，",
    "领导您好！我想反映一个问题。",
    "您好，打扰了，",
    "胡书记：您好！首先感谢您在百忙之中看我的留言。",
    "尊敬的A市领导：",
    "各位领导好，我是一名普通的老百姓，",
    "",
]
BACKGROUND = [
    "我今年{age}岁，在A市生活了二十多年，",
    "我家住在A市{district}{street}{estate}{n}栋，",
    "我是{district}{town}{village}的村民，家里{n}口人，",
    "本人{age}岁，身体一直不好，",
    "我们{estate}是{year}年交房的，一共有{n}00多户业主，",
    "我是外地来A市打工的，在这里已经{n}年了，",
    "我和爱人都是{district}的普通职工，",
    "我是退休职工，住在A1街道{village}，",
]
HISTORY = [
    "{year}年{month}月{day}日我就打过12345市民热线，工单号{order}，到现在也没有结果。",
    "我们{month}月份就在这个平台上留过言，回复说已经转交{district}处理，可是问题依然存在。",
    "之前去过{town}街道办两次、{district}信访局一次，每次都说回去研究研究。",
    "{year}年以来，我们先后向社区、街道、区里反映了不下{n}次。",
    "上个月{day}号社区的工作人员来看过，拍了几张照片就走了。",
    "我们有{n}0多户居民联名签了字，材料已经交到了街道。",
]
LAW = [
    "根据《中华人民共和国民法典》和相关规定，他们的做法明显是违法的。",
    "按照国家和省里的政策文件，这些都是应该解决的问题。",
    "我在网上查了相关法规，这种情况是不允许的，为什么没人管？",
    "我们也知道政府工作很忙，但是这个事情确实关系到老百姓的切身利益。",
]
CLOSINGS = [
    "希望尽快解决，谢谢！",
    "恳请领导重视，早日给我们一个答复，谢谢！！",
    "望领导在百忙之中过问一下，不胜感激。",
    "希望政府部门能为我们做主，万分感谢！",
    "请相关部门尽快落实，谢谢领导！",
    "盼复，谢谢。",
    "期待您的回复！",
    "以上情况，请领导明察。",
]
FRAGMENTS = [
    "联系人：{surname}先生，电话{phone4}。",
    "我的电话{phone4}，随时可以联系我。",
    "身份证号{idfrag}。",
    "一共花了{amount}元，有收据。",
    "订单号{order}。",
    "{year}-{month:02d}-{day:02d}",
    "附件：照片{n}张。",
]

# Synonyms and colloquial variants, applied to whole words with Difficulty.colloquial.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "物业公司": ("物业", "物管", "物业管理公司", "物业方"),
    "开发商": ("开发公司", "房地产商", "开发企业", "地产公司"),
    "工资": ("工钱", "薪水", "薪资", "工资款"),
    "老板": ("负责人", "老总", "法人代表"),
    "孩子": ("小孩", "娃", "小朋友", "学生"),
    "学校": ("校方", "学校领导"),
    "医院": ("院方", "这家医院"),
    "严重": ("非常严重", "特别严重", "十分严重", "太严重了"),
    "希望": ("恳请", "期望", "盼望", "希忘"),
    "尽快": ("早日", "尽早", "赶紧", "赶快"),
    "居民": ("住户", "老百姓", "群众", "业主"),
    "非常": ("特别", "十分", "超级", "相当", "蛮"),
    "没有": ("没", "并没有", "都没有"),
    "怎么": ("咋", "怎样"),
    "什么": ("啥", "甚么"),
    "相关部门": ("有关部门", "政府部门", "主管部门", "有关单位"),
    "处理": ("处里", "解决", "搞定", "管一管"),
    "反映": ("反应", "投诉", "举报"),
    "问题": ("情况", "事情", "问提"),
    "很多": ("好多", "不少", "许多"),
    "现在": ("目前", "如今", "眼下"),
    "已经": ("以经", "都已经", "早就"),
    "要求": ("要球", "请求", "希望"),
    "一直": ("一至", "始终", "总是"),
    "部门": ("布门", "单位"),
    "晚上": ("夜里", "半夜", "晚间"),
    "我们": ("俺们", "我们这些人", "咱们"),
}
HOMOPHONES = "的地得在再已以做作那哪象像账帐须需园圆"


def _pairs_by_label() -> dict[str, list[tuple[Pair, int]]]:
    out: dict[str, list[tuple[Pair, int]]] = {}
    for p in PAIRS:
        for side in (0, 1):
            out.setdefault(p.labels[side], []).append((p, side))
    return out


_BY_LABEL = _pairs_by_label()
_NEIGHBOURS: dict[str, list[str]] = {}
for _p in PAIRS:
    _NEIGHBOURS.setdefault(_p.labels[0], []).append(_p.labels[1])
    _NEIGHBOURS.setdefault(_p.labels[1], []).append(_p.labels[0])


def _slots(rng: random.Random, place: dict[str, str]) -> dict[str, object]:
    d: dict[str, object] = dict(place)
    d.update(
        age=rng.randint(25, 78),
        n=rng.randint(2, 9),
        year=rng.randint(2015, 2020),
        month=rng.randint(1, 12),
        day=rng.randint(1, 28),
        order=f"{rng.randint(2018, 2020)}{rng.randrange(10**8):08d}",
        amount=f"{rng.randint(2, 900) * 10:,}",
        surname=rng.choice("王李张刘陈杨黄赵周吴徐孙"),
        phone4=f"1{rng.choice('3578')}{rng.randint(0, 9)}****{rng.randrange(10**4):04d}",
        idfrag=f"430{rng.randint(100, 199)}**********{rng.randrange(10**4):04d}",
    )
    return d


def _reword(text: str, rng: random.Random, d: Difficulty) -> str:
    """Synonyms and colloquial variants, then homophone typos and dropped characters."""
    for word, alts in SYNONYMS.items():
        if word in text:
            parts = text.split(word)
            text = parts[0] + "".join(
                (rng.choice(alts) if rng.random() < d.colloquial else word) + rest
                for rest in parts[1:]
            )
    chars = list(text)
    n_typos = int(len(chars) * d.typo_per_100 / 100 + rng.random())
    for _ in range(n_typos):
        i = rng.randrange(len(chars)) if chars else 0
        if not chars:
            break
        if chars[i] in HOMOPHONES:
            chars[i] = rng.choice(HOMOPHONES)
        elif rng.random() < 0.3:
            chars[i] = ""  # a dropped character
    return "".join(chars)


def _half(
    items: tuple[str, ...], split: int | None, rng: random.Random, share: float
) -> tuple[str, ...]:
    """The fragments a draw may use: all (``split`` None), the even ones (``split`` 0, training),
    or for ``split`` 1 (testing) the odd ones with probability ``share``, else the even ones."""
    if split is None or len(items) < 2:
        return items
    if split == 1 and rng.random() < share:
        return items[1::2]
    return items[0::2]


def _main_issue(
    label: str, rng: random.Random, d: Difficulty, split: int | None
) -> tuple[list[str], list[str], list[str]]:
    """(titles, problem sentences, demands) of the message's main grievance."""
    if rng.random() < d.pair and label in _BY_LABEL:
        pair, side = rng.choice(_BY_LABEL[label])
        ctx = _half(pair.context, split, rng, d.unseen)
        grv = _half(pair.grievances[side], split, rng, d.unseen)
        context = rng.sample(ctx, rng.randint(1, len(ctx)))
        griev = rng.sample(grv, rng.randint(1, len(grv)))
        # Context first, then the grievance; sometimes one grievance sentence leads.
        problems = [*context, *griev] if rng.random() < 0.7 else [griev[0], *context, *griev[1:]]
        return (
            list(_half(pair.titles[side], split, rng, d.unseen)),
            problems,
            list(_half(pair.demands[side], split, rng, d.unseen)),
        )
    topic: Topic = rng.choice(TOPICS[label])
    probs = _half(topic.problems, split, rng, d.unseen)
    problems = rng.sample(probs, rng.randint(1, len(probs)))
    titles = _half(topic.titles, split, rng, d.unseen)
    return list(titles), problems, list(_half(topic.demands, split, rng, d.unseen))


def message(
    label: str, rng: random.Random, d: Difficulty, *, split: int | None = None
) -> tuple[str, str]:
    """One (title, detail) of class ``label``; ``split`` 0 or 1 uses that half of the fragments."""
    place = _place(rng)
    slots = _slots(rng, place)
    titles, problems, demands = _main_issue(label, rng, d, split)

    def f(s: str) -> str:
        return s.format(**slots)

    title = f(rng.choice(VAGUE_TITLES)) if rng.random() < d.vague_title else f(rng.choice(titles))
    if rng.random() < 0.3:
        title = rng.choice(["关于", "反映", "投诉", "请求解决", "举报", "建议解决"]) + title
    if rng.random() < 0.25:
        title += rng.choice(["的问题", "！", "，望解决", "？", "的情况", "！！"])
    parts: list[str] = [rng.choice(OPENINGS), f(rng.choice(BACKGROUND))]
    if rng.random() < 0.5:
        parts.append(f(rng.choice(WHO)))
    if rng.random() < 0.6:
        parts.append(f(rng.choice(SINCE)))
    side_at = rng.randint(1, len(problems)) if rng.random() < d.side else -1
    for i, p in enumerate(problems):
        if i == side_at:
            other = rng.choice([lab for lab in TOPICS if lab != label])
            topic = rng.choice(TOPICS[other])
            k = rng.choice([1, 1, 2])
            side = rng.sample(topic.problems, min(k, len(topic.problems)))
            parts.append(rng.choice(SIDE_OPENERS) + "，".join(f(s) for s in side) + "。")
            if rng.random() < 0.5:
                parts.append(f(rng.choice(topic.demands)) + "。")
        parts.append(f(p) + rng.choice(["。", "，", "！", "。", "。"]))
        if rng.random() < 0.25:
            parts.append(rng.choice(FEELINGS))
    if side_at == len(problems):
        other = rng.choice([lab for lab in TOPICS if lab != label])
        topic = rng.choice(TOPICS[other])
        parts.append(rng.choice(SIDE_OPENERS) + f(rng.choice(topic.problems)) + "。")
    for h in rng.sample(HISTORY, rng.choice([0, 1, 1, 2, 3])):
        parts.append(f(h))
    n_more = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12])
    parts.extend(rng.sample(ELABORATIONS, n_more))
    if rng.random() < 0.35:
        parts.append(rng.choice(LAW))
    if rng.random() < 0.2:  # the long tail: a writer who goes on and on
        pool = [*ELABORATIONS, *LAW, *FEELINGS, *(f(h) for h in HISTORY)]
        parts.extend(rng.choice(pool) for _ in range(rng.randint(6, 20)))
    if n_more >= 3:  # long messages come back to their point
        parts.append("总之，" + f(rng.choice(problems)) + "。")
    parts.append(f(rng.choice(demands)) + "。")
    parts.append(rng.choice([*ASKS, *CLOSINGS]))
    if rng.random() < 0.4:
        parts.append(f(rng.choice(FRAGMENTS)))
    if rng.random() < 0.3:
        parts.append(f(rng.choice(CONTACT).replace("{phone}", "{phone4}")))
    detail = "".join(parts)
    if rng.random() < 0.2:  # a run-on message
        detail = detail.replace("。", "，")
    if rng.random() < 0.25:  # pasted from a web form: tabs and line breaks
        cut = sorted(rng.sample(range(1, max(2, len(detail))), min(3, len(detail) - 1)))
        pieces = [detail[i:j] for i, j in zip([0, *cut], [*cut, len(detail)], strict=True)]
        detail = "\n\t\t\t\t".join(pieces)
    return _reword(title, rng, d), _reword(detail, rng, d)


def messages(
    n: int, *, seed: int, difficulty: Difficulty | None = None, split: int | None = None
) -> list[tuple[str, str, str, str]]:
    """``n`` messages as (id, title, detail, label) in the class shares of :data:`SHARES`.

    With ``split`` 0 or 1 only that half of every title, problem, context, grievance and demand
    list is used: train on a draw of half 0 and test on a draw of half 1, and the test messages
    say their grievances in sentences the model never saw (as real messages do).

    The label carries noise at ``difficulty.label_noise``: three quarters of the flips go to a
    confusable neighbour of the true class, the rest to any other class.
    """
    d = difficulty or Difficulty()
    rng = random.Random(seed)
    labels = list(SHARES)
    weights = [SHARES[k] for k in labels]
    out = []
    for i in range(n):
        label = rng.choices(labels, weights)[0]
        title, detail = message(label, rng, d, split=split)
        if rng.random() < d.label_noise:
            near = _NEIGHBOURS.get(label, [])
            label = rng.choice(near) if near and rng.random() < 0.75 else rng.choice(
                [lab for lab in labels if lab != label]
            )  # fmt: skip
        out.append((f"H{i + 1:05d}", title, detail, label))
    return out


def main() -> None:
    """Write tests/data/text/hard_train.csv and hard_test.csv (the fixed draw the tests use)."""
    OUT.mkdir(parents=True, exist_ok=True)
    header = ["留言编号", "留言主题", "留言详情", "一级标签"]
    for name, rows in [
        ("hard_train.csv", messages(1200, seed=101, split=0)),
        ("hard_test.csv", messages(600, seed=1101, split=1)),
    ]:
        with (OUT / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)


if __name__ == "__main__":
    main()
