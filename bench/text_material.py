"""Generate the labelled test material for ``wanzheng.text`` (messages and duplicate pairs).

The material imitates citizens' messages to a provincial leaders' message board: a title and a
detail, places masked as A市/A3区, dates, phone numbers, typos, run-on sentences, emotional
language and topics that overlap between classes. Everything is written for this project from
hand-written fragments; it is *not* real data, and figures measured on it are not figures on real
messages.

Run ``python -m bench.text_material`` to rewrite ``tests/data/text/``; the committed files are
what the tests read, so the output must stay byte-identical for a given seed.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "text"
SEED = 20261125

# ---------------------------------------------------------------------------------------------
# Shared fragments
# ---------------------------------------------------------------------------------------------

GREETINGS = [
    "尊敬的领导：",
    "尊敬的领导，您好！",
    "X书记您好：",
    "市长您好，",
    "您好！",
    "领导好，",
    "",
    "",
    "各位领导：",
    "尊敬的胡书记：您好！",
]
WHO = [
    "我是A市{district}{estate}的业主，",
    "本人是{district}{estate}的一名居民，",
    "我们是居住在A市{district}{street}附近的居民，",
    "我是A{county_n}县{town}{village}的村民，",
    "我是一名普通市民，",
    "本人家住{district}{street}{estate}，",
    "我是{district}的一名退休职工，",
    "我在A市{district}上班，",
    "",
    "",
]
SINCE = [
    "从{year}年{month}月开始，",
    "{year}年{month}月{day}日，",
    "自去年以来，",
    "近段时间以来，",
    "最近半年，",
    "这几年来，",
    "今年{month}月份以来，",
    "",
]
FEELINGS = [
    "实在是忍无可忍了！！",
    "群众意见非常大。",
    "我们真的很无奈。",
    "大家苦不堪言。",
    "严重影响了我们的正常生活。",
    "这种情况已经持续很久了。",
    "反映多次都没有结果，",
    "打了12345也没人管，",
    "问题一直得不到解决。",
    "真的是太寒心了！",
    "",
    "",
]
ASKS = [
    "恳请领导重视，尽快解决！",
    "希望相关部门尽快处理，谢谢！",
    "望领导百忙之中给予回复。",
    "请问这种情况合理吗？",
    "希望政府能给我们一个说法。",
    "恳请有关部门调查核实，给老百姓一个交代。",
    "请领导帮忙协调解决，万分感谢！",
    "盼复！",
    "",
]
CONTACT = [
    "我的电话{phone}。",
    "联系电话：{phone}",
    "如需核实请联系{phone}",
    "",
    "",
    "",
    "",
    "",
]
DISTRICTS = [f"A{i}区" for i in range(1, 10)]
STREETS = [
    "人民路",
    "解放西路",
    "芙蓉中路",
    "韶山北路",
    "五一大道",
    "建设路",
    "车站南路",
    "东二环",
    "桐梓坡路",
    "湘府路",
    "万家丽路",
    "劳动东路",
    "金星北路",
    "岳麓大道",
]
ESTATES = [
    "幸福小区",
    "和园小区",
    "金色家园",
    "锦绣华城",
    "盛世花园",
    "阳光新城",
    "丽景苑",
    "华府名都",
    "西湖花园",
    "梅溪湖壹号",
    "碧桂园",
    "恒大名都",
    "融城苑",
    "保利大厦",
    "星城国际",
]
TOWNS = ["B镇", "C镇", "D乡", "E街道", "F镇", "G乡"]
VILLAGES = ["H村", "K村", "M社区", "N村", "P村", "Q组"]
SCHOOLS = [
    "A市第十中学",
    "A3区实验小学",
    "A5区某幼儿园",
    "A市某职业学院",
    "A7县一中",
    "B镇中心小学",
]
HOSPITALS = ["A市第一人民医院", "A3区中医院", "A县人民医院", "A5区妇幼保健院", "B镇卫生院"]
COMPANIES = [
    "A市某房地产公司",
    "某物业公司",
    "某建筑公司",
    "A市某科技有限公司",
    "某劳务公司",
    "某餐饮店",
]

TYPOS = [
    ("的", "地"),
    ("在", "再"),
    ("已经", "以经"),
    ("部门", "布门"),
    ("希望", "希忘"),
    ("反映", "反应"),
    ("按时", "安时"),
    ("处理", "处里"),
    ("那里", "哪里"),
    ("一直", "一至"),
]


@dataclass(frozen=True)
class Topic:
    """One kind of problem: title stems, problem sentences and demands."""

    titles: tuple[str, ...]
    problems: tuple[str, ...]
    demands: tuple[str, ...]


def T(titles: str, problems: str, demands: str) -> Topic:
    """A topic from three '|'-separated lists."""
    return Topic(tuple(titles.split("|")), tuple(problems.split("|")), tuple(demands.split("|")))


# ---------------------------------------------------------------------------------------------
# Classes and topics (level-1 labels of the message-board category tree)
# ---------------------------------------------------------------------------------------------

TOPICS: dict[str, list[Topic]] = {
    "城乡建设": [
        T(
            "{estate}小区物业乱收费|{estate}物业服务太差|投诉{estate}物业公司",
            "物业公司每个月收取的物业费越来越高，服务却越来越差|小区电梯经常坏，物业拖着不修"
            "|物业擅自把小区公共区域出租给商家，收益去向不明|物业费上涨没有召开业主大会，也没有公示"
            "|小区门禁坏了半年，物业说没钱修",
            "要求住建部门对物业公司进行查处|希望成立业主委员会|请求更换物业公司",
        ),
        T(
            "{estate}开发商延期交房|{estate}逾期交房一年多|{estate}迟迟不办房产证",
            "开发商合同约定的交房时间早已过去，房子还没有建好|我们交了房款多年，至今拿不到不动产权证"
            "|开发商说是因为规划验收没通过，一拖再拖|交房时发现房屋质量问题严重，墙体开裂渗水",
            "请住建局督促开发商按合同交房|要求开发商赔偿违约金|请相关部门帮忙办理房产证",
        ),
        T(
            "{street}违章建筑无人管|{estate}业主私搭乱建|举报{district}违建",
            "一楼业主把院子围起来加盖了两层，严重影响采光|顶楼住户在楼顶搭建阳光房，存在安全隐患"
            "|有人在绿化带上违法搭建铁皮房用来出租|城管来看过一次就不了了之",
            "请城管部门依法拆除违章建筑|希望执法部门不要只罚款不拆除|请规划部门查处",
        ),
        T(
            "{estate}长期停水|{street}自来水水压太低|{estate}频繁停电",
            "小区经常停水，而且事先没有任何通知|高层住户水压不够，晚上用水都困难"
            "|一到夏天就频繁停电，家里老人热得受不了|供电线路老化，变压器负荷不够",
            "请供水公司尽快解决|希望电力部门对线路进行改造|请求加装二次供水设施",
        ),
        T(
            "{estate}老旧小区改造|{estate}加装电梯难|{district}老旧小区何时改造",
            "我们小区是上世纪九十年代的房子，外墙脱落，管网老化|想加装电梯，但低层住户不同意，无法推进"
            "|小区没有路灯，晚上出行很不安全|下水道经常堵塞，污水横流",
            "希望把我们小区纳入老旧小区改造计划|请求政府出台加装电梯的协调办法|请求尽快改造",
        ),
        T(
            "{street}道路施工拖延|{street}市政道路坑洼|{street}井盖缺失",
            "这条路挖了又填填了又挖，修了一年多还没修好|路面坑坑洼洼，下雨天全是积水"
            "|人行道上的井盖丢失了好几天，晚上有人摔伤|路灯坏了很久没人修，晚上一片漆黑",
            "请市政部门加快施工进度|尽快修复路面|请相关部门排查安全隐患",
        ),
        T(
            "{village}征地拆迁补偿不合理|{district}拆迁安置房迟迟不建|棚改补偿标准太低",
            "拆迁补偿标准多年没有调整，远低于周边房价|安置房说好两年建成，现在五年了还是一片空地"
            "|拆迁办工作人员态度恶劣，威胁我们签字|过渡费已经停发大半年了",
            "请求按政策给予合理补偿|要求尽快建设安置房|请上级部门调查拆迁中的违规行为",
        ),
        T(
            "{estate}燃气管道安全隐患|{district}冬季供暖问题",
            "天然气管道从楼道穿过，已经锈蚀，经常闻到煤气味|燃气公司收取开户费过高"
            "|冬天室内温度只有十几度，暖气根本不热",
            "请燃气公司尽快排查隐患|要求规范收费|请督促供暖单位保证温度",
        ),
        T(
            "{district}建筑工地夜间施工|{street}工地渣土车扬尘",
            "工地晚上十二点还在施工，打桩机声音很大|工地围挡破损，施工安全存在隐患"
            "|施工单位没有办理夜间施工许可证",
            "请住建部门对工地进行整顿|请城管执法部门查处违规施工|要求规范施工时间",
        ),
    ],
    "环境保护": [
        T(
            "{district}某厂排放废气|{street}附近化工厂污染|{town}工厂偷排废气",
            "工厂烟囱天天冒黑烟，空气中一股刺鼻的味道|晚上偷偷排放废气，窗户都不敢开"
            "|附近居民很多人咳嗽、喉咙痛|企业环评手续不全就开工生产",
            "请环保部门彻查|要求关停污染企业|请生态环境局加强监测",
        ),
        T(
            "{village}河道污染严重|{town}养殖场污水直排|{district}河流发黑发臭",
            "养猪场的粪水直接排进河里，河水又黑又臭|造纸厂把污水排进河道，鱼都死光了"
            "|村里的饮用水井也被污染了|垃圾倾倒在河边，夏天臭气熏天",
            "请环保局尽快治理河道污染|依法查处偷排企业|保护我们的饮用水源",
        ),
        T(
            "{estate}楼下餐馆油烟扰民|{street}烧烤店噪音油烟|{estate}商铺噪音扰民",
            "楼下餐馆油烟直排，没有安装油烟净化器|烧烤店每天营业到凌晨，油烟和噪音让人无法入睡"
            "|商铺的空调外机和音响噪音很大，测量超过了标准|KTV噪声扰民，晚上一两点还在唱",
            "请环保部门监测噪声并依法处理|要求安装油烟净化设施|请执法部门查处噪声扰民",
        ),
        T(
            "{district}工地噪音扰民严重|{street}搅拌站粉尘污染",
            "附近的混凝土搅拌站粉尘很大，家里阳台每天都是一层灰|工地噪声超标，晚上施工打桩"
            "|渣土车不加盖篷布，扬尘污染严重|机械噪声分贝远超国家标准",
            "请环保局依法处罚|要求落实扬尘治理措施|请求环保部门夜间突击检查",
        ),
        T(
            "{town}垃圾焚烧厂选址|{district}垃圾中转站臭气|{village}垃圾乱堆乱放",
            "垃圾中转站离居民楼不到五十米，臭味熏天|村里没有垃圾收集点，垃圾到处乱扔乱烧"
            "|听说要在我们附近建垃圾焚烧发电厂，大家非常担心二噁英污染",
            "请求重新选址|请环保部门公开环评报告|希望落实垃圾分类和清运",
        ),
        T(
            "{town}非法采砂破坏环境|{village}山林被毁|{district}湿地被填",
            "有人在河道非法采砂，河堤被挖得千疮百孔|山上的树被大面积砍伐，水土流失严重"
            "|湿地被开发商填掉了，鸟都不来了|采石场开山放炮，粉尘和震动严重",
            "请有关部门依法打击|请求恢复生态|要求追究破坏生态环境者的责任",
        ),
        T(
            "{district}空气质量差|{street}附近有异味|{estate}附近变电站辐射",
            "这段时间空气中总有一股臭鸡蛋味|小区旁边建了一个大型变电站，担心电磁辐射影响健康"
            "|附近的企业夜间排污，PM2.5经常爆表",
            "请求环境监测部门公布监测数据|请环保部门调查异味来源|希望给予科学解释",
        ),
    ],
    "交通运输": [
        T(
            "{street}公交线路调整不合理|建议增开公交线路|{district}公交车太少",
            "公交线路调整以后，我们小区附近没有公交站了|公交车半个小时才来一趟，上班经常迟到"
            "|司机开车太猛，不等乘客坐稳就开车|末班车太早，晚上下班回不了家",
            "建议恢复原公交线路|希望增加班次|请交通运输局合理规划公交线路",
        ),
        T(
            "{street}红绿灯设置不合理|{street}路口交通拥堵|{district}道路标线不清",
            "这个路口红灯时间太长，绿灯只有十几秒|上下班高峰期堵得水泄不通"
            "|路口没有斑马线，学生过马路很危险|交通标志被树挡住了，经常有人走错",
            "请求交警部门优化信号灯配时|建议增设人行天桥|请交通部门重新施划标线",
        ),
        T(
            "出租车拒载绕路|{district}网约车乱停乱放|投诉出租车司机",
            "出租车司机不打表，漫天要价|在火车站打车，司机挑客拒载"
            "|网约车平台抽成太高，司机收入越来越低|黑车在车站门口拉客",
            "请交通运输部门整治出租车市场|依法查处黑车|规范网约车管理",
        ),
        T(
            "{street}至{town}的道路太烂|{village}通村公路损坏|{town}客运班车停运",
            "通往镇上的公路到处是大坑，货车一过尘土飞扬|村里的水泥路修好不到两年就烂了"
            "|客运班车停运后，村民出行只能坐三轮车|超载货车把路压坏了",
            "请交通局尽快维修道路|请求恢复客运班线|请治理超限超载车辆",
        ),
        T(
            "{district}地铁站出入口问题|建议地铁延伸到{district}|{street}高铁站接驳",
            "地铁站只开了一个出入口，早高峰排队很长|高铁站到市区没有直达公交，打车又贵"
            "|地铁施工围挡占道太久，交通拥堵",
            "建议增开出入口|希望地铁线路延伸|请求开通高铁站接驳专线",
        ),
        T(
            "驾驶证年审问题|车辆年检排队太久|{district}交警违规罚款",
            "去车管所办事排队一整天|电子眼抓拍的违章和我的车对不上|在高速公路收费站被多收费"
            "|驾校收费后一直不安排考试",
            "请简化办事流程|请求核查违章记录|要求退还多收的费用",
        ),
        T(
            "{street}共享单车乱停|{district}电动车上牌难|{street}停车收费乱象",
            "共享单车堆满了人行道，行人无法通行|路边停车位收费没有标准，收费员乱要价"
            "|电动车上牌要排好几天队",
            "请规范共享单车停放|请公布停车收费标准|希望优化电动车登记流程",
        ),
    ],
    "教育文体": [
        T(
            "{school}乱收费|{school}补课收费|投诉{school}强制订资料",
            "学校要求学生周末到校补课，每人收费八百元|老师强制学生购买教辅资料"
            "|学校以各种名义收取费用，没有票据|班主任暗示家长去她开的辅导班",
            "请教育局查处违规收费|请求退还费用|希望规范教师行为",
        ),
        T(
            "{district}入学难问题|{estate}学区划分不合理|孩子上学问题",
            "我们小区离学校只有五百米，却被划到三公里外的学校|外地务工人员子女入学手续太复杂"
            "|学位紧张，孩子排不上号|幼儿园学位严重不足，私立幼儿园收费太贵",
            "请教育局重新划分学区|请求解决随迁子女入学|建议增建公办幼儿园",
        ),
        T(
            "{school}教师待遇问题|乡村教师工资拖欠|{district}代课教师待遇",
            "乡村教师的绩效工资两年没有发放|我们代课十几年，工资只有一千多元"
            "|教师工资低于当地公务员平均水平|特岗教师转正问题一直没有解决",
            "请求落实教师工资待遇|希望解决代课教师身份问题|请教育部门核实发放",
        ),
        T(
            "{school}食堂饭菜质量差|{school}校车安全隐患|{school}学生被欺凌",
            "学校食堂的饭菜又贵又难吃，孩子经常吃不饱|校车严重超载，一辆车坐了三十多个孩子"
            "|孩子在学校被高年级学生欺负，老师不管|学校宿舍没有热水，冬天洗澡困难",
            "请教育局彻查学校管理问题|请求加强校园安全|希望学校重视",
        ),
        T(
            "{school}学籍问题|高考报名问题|{school}毕业证迟迟不发",
            "孩子转学后学籍一直转不过来|职业学院承诺的学历证书毕业两年了还没拿到"
            "|中考加分政策不透明|培训机构倒闭，学费退不回来",
            "请教育部门协调解决学籍|要求学校发放毕业证|请求退还培训费",
        ),
        T(
            "{district}体育场馆不开放|{street}文化广场|{district}图书馆开放时间",
            "新建的体育馆一直锁着门不对市民开放|广场舞音响太大，附近居民休息受影响"
            "|图书馆周末不开门，上班族根本没时间去|全民健身器材坏了没人维修",
            "希望体育场馆免费低价开放|请规范广场舞活动|建议延长图书馆开放时间",
        ),
        T(
            "{school}校外培训机构|{district}民办学校收费",
            "校外培训机构违规开展学科培训，价格很高|民办学校学费一年涨了一万多"
            "|培训机构老板跑路，几百名家长的学费没了着落",
            "请教育局加强校外培训监管|规范民办学校收费|请追回学费",
        ),
    ],
    "劳动和社会保障": [
        T(
            "{company}拖欠工资|讨薪无门|{company}拖欠农民工工资",
            "我在工地干了八个月，老板一分钱工资都没给|公司拖欠我们三个月工资，老板说没钱"
            "|包工头跑了，我们几十个农民工的工钱没人管|劳动监察大队说要走仲裁程序",
            "请劳动监察部门帮我们讨回工资|请求依法处理欠薪|希望政府帮帮我们农民工",
        ),
        T(
            "社保断缴问题|{company}不给员工买社保|养老保险补缴",
            "公司一直不给我们交社保，说是试用期|我之前在企业交了十年养老保险，现在想补缴被拒"
            "|单位把社保缴费基数压得很低|离职后社保转移手续办不了",
            "请社保部门核查并责令补缴|请求明确补缴政策|希望简化社保转移手续",
        ),
        T(
            "退休待遇问题|{district}企业退休人员养老金|退休工资计算有误",
            "我今年满六十岁，社保局说我的档案有问题不给办退休|企业退休人员的养老金比事业单位低太多"
            "|视同缴费年限没有算进去|退休审批拖了半年还没有批下来",
            "请人社局核实我的工龄|请求按政策办理退休|希望提高企业退休人员待遇",
        ),
        T(
            "医保报销问题|异地就医医保|{district}城乡居民医保缴费",
            "在外地住院医保报销比例太低|城乡居民医保每年都涨，农民负担越来越重"
            "|医保卡被冻结了，不能刷卡|新生儿参保手续繁琐",
            "请医保局解释报销政策|请求降低缴费标准|希望尽快解冻医保卡",
        ),
        T(
            "{company}违法解除劳动合同|劳动仲裁问题|{company}不签劳动合同",
            "公司无故把我辞退，不给任何经济补偿|入职一年多公司一直不和我签劳动合同"
            "|仲裁裁决已经生效，公司拒不执行|公司强迫员工加班不给加班费",
            "请劳动部门依法处理|要求支付双倍工资和经济补偿|请人社部门督促执行",
        ),
        T(
            "工伤认定问题|工伤赔偿|{company}员工受伤不赔",
            "我在工作中受伤，公司不给申请工伤认定|工伤鉴定结果出来了，公司拒绝赔偿"
            "|工伤保险待遇迟迟不发放",
            "请人社局帮助认定工伤|要求公司依法赔偿|请尽快支付工伤待遇",
        ),
        T(
            "事业单位招聘问题|{district}公益性岗位|人才引进政策落实",
            "事业单位招聘考试的面试成绩不公开|公益性岗位的工资很久没有发|引进人才的购房补贴迟迟没有兑现"
            "|失业保险金申领太麻烦",
            "请人社部门公开招聘信息|请求落实待遇|希望兑现人才政策",
        ),
    ],
    "商贸旅游": [
        T(
            "{company}虚假宣传|投诉{estate}商家欺诈|购物被骗",
            "商家宣传买一送一，结账时却按原价收费|购买的手机是翻新机，商家拒绝退货"
            "|网购的商品质量有问题，客服一直推脱|健身房办卡后突然关门跑路",
            "请市场监管部门查处|要求商家退款|请求维护消费者合法权益",
        ),
        T(
            "{district}传销组织|非法集资|{company}以投资为名诈骗",
            "有人打着投资理财的旗号高息揽储|附近有一个传销窝点，很多外地年轻人被骗过来"
            "|某公司以养老项目为名非法集资，很多老人血本无归",
            "请有关部门打击传销|请求立案调查|希望追回老人们的血汗钱",
        ),
        T(
            "{district}景区门票太贵|旅游景区乱收费|{town}旅游开发",
            "景区门票一百多元，里面的项目还要另外收费|导游强迫游客购物|景区停车费一次收五十元"
            "|乡村旅游开发占了农民的地却不给分红",
            "请物价部门规范景区收费|请旅游部门查处强制购物|希望合理开发旅游资源",
        ),
        T(
            "{street}农贸市场管理混乱|{district}菜市场缺斤少两|{estate}超市食品过期",
            "菜市场商贩缺斤少两，短斤少两现象严重|超市卖过期食品，被发现后只肯退款"
            "|市场摊位费一年涨了几倍|市场里到处是污水，卫生条件差",
            "请市场监管局加强检查|要求规范市场管理|请求依法处罚",
        ),
        T(
            "{district}加油站问题|{company}预付卡退费难|{district}营业执照办理",
            "加油站的油有问题，加完车就出故障|美容店的预付卡余额退不了，店老板换了人"
            "|办营业执照跑了好几趟都没办下来|个体户被重复收费",
            "请有关部门检查油品质量|请求帮助退费|希望优化营商环境",
        ),
        T(
            "{street}商户占道经营|{estate}电商平台|{district}酒店价格",
            "节假日期间酒店房价翻了好几倍|电商平台商家发假货，平台不处理"
            "|外卖平台对商户抽成太高，小店经营困难",
            "请相关部门规范价格|请市场监管部门约谈平台|希望扶持小微商户",
        ),
    ],
    "卫生计生": [
        T(
            "{hospital}乱收费|{hospital}过度医疗|投诉{hospital}",
            "孩子只是感冒发烧，医院却开了一千多元的检查|住院费用清单里有很多没做过的项目"
            "|医生态度恶劣，对病人大吼大叫|医院的药比外面药店贵很多",
            "请卫健委调查核实|要求医院退还多收的费用|请求规范医疗收费",
        ),
        T(
            "{hospital}医疗事故|{hospital}误诊|医疗纠纷处理",
            "我母亲做了一个小手术，结果术后感染去世|医院误诊耽误了治疗，病情加重"
            "|医疗纠纷调解委员会拖着不处理|病历被医院篡改",
            "请卫生部门组织医疗事故鉴定|请求追究医院责任|要求公开病历",
        ),
        T(
            "{town}乡村医生待遇|{village}卫生室|乡村医生养老问题",
            "乡村医生干了几十年，老了却没有养老保障|村卫生室的药品种类太少，看病还得去县里"
            "|乡村医生的补助长期没有到位",
            "请求解决乡村医生养老问题|希望加强基层医疗建设|请落实补助",
        ),
        T(
            "二孩生育登记|计划生育奖励扶助|独生子女费发放",
            "办理生育登记要跑好几个部门|独生子女父母奖励扶助金一直没有发放|准生证办理手续太麻烦"
            "|失独家庭的扶助金太少",
            "请卫健部门简化生育登记|请求落实计划生育奖励政策|希望提高扶助标准",
        ),
        T(
            "{district}无证诊所|{street}黑诊所行医|药店违规卖处方药",
            "小区旁边有一家无证诊所，给病人打针输液|有人冒充医生卖保健品|药店不凭处方卖抗生素"
            "|非法医疗美容机构给人打针",
            "请卫生执法部门查处|依法取缔非法行医|请求加强药品监管",
        ),
        T(
            "{district}疫苗接种|{hospital}挂号难|{district}社区卫生服务中心",
            "带孩子打疫苗要排好几个小时的队|大医院专家号根本挂不上，黄牛却有号"
            "|社区卫生服务中心没有医生坐诊|预防接种门诊的疫苗经常缺货",
            "请增加接种点|请求严厉打击号贩子|希望充实社区医生",
        ),
    ],
}

# Sentences that mention another class's vocabulary: the overlap real messages have.
CROSS = {
    "城乡建设": ["工地噪音也很大，", "附近的河道也被污染了，", "小区门口的公交站也取消了，"],
    "环境保护": ["物业也不管，", "城管来了也没用，", "附近的道路也是坑坑洼洼，"],
    "交通运输": ["路边的绿化带也没人修剪，", "附近还有一个工地，", "城管也经常来罚款，"],
    "教育文体": ["学校门口交通也很乱，", "学校旁边的餐馆油烟很大，", ""],
    "劳动和社会保障": ["公司的食堂卫生也很差，", "我们住的工棚还是违章建筑，", ""],
    "商贸旅游": ["市场周边的交通也很拥堵，", "商家的噪音也很扰民，", ""],
    "卫生计生": ["医院门口的停车也是个大问题，", "医保报销也很麻烦，", ""],
}

# Generic elaboration that long messages carry: background, history, appeals to the law.
ELABORATIONS = [
    "这个问题我们已经反映了很多次，社区说要上报街道，街道说要上报区里，区里又说不归他们管，"
    "就这样推来推去，一拖就是好几年。",
    "我们都是普通老百姓，家里有老人小孩，实在是经不起这样折腾。",
    "根据国家的有关法律法规和政策规定，这种做法是明显违规的，相关部门应当依法履行监管职责。",
    "前段时间当地电视台也报道过这件事，但是报道之后没有任何改变。",
    "我们也多次找过相关负责人，每次都是口头答应，事后就没有下文了。",
    "很多居民联名写过信，也拨打过市长热线，得到的答复都是正在协调处理中。",
    "希望领导能够体察民情，真正为老百姓办实事、办好事。",
    "这件事情涉及几百户居民的切身利益，如果不能妥善解决，很可能引发更大的矛盾。",
    "我本人身体不好，常年吃药，为了这件事情跑了无数趟，心力交瘁。",
    "我们相信党和政府，相信问题一定能够得到解决。",
    "现在正是疫情防控的关键时期，大家都不敢聚集，只能通过网上留言的方式向领导反映。",
    "附上相关照片和材料，请领导查看。",
    "以上情况属实，如有不实愿承担一切责任。",
    "我在网上查了相关规定，发现他们的做法与规定完全不符。",
    "每次打电话过去，要么没人接，要么接了就说领导不在。",
    "周边的其他小区都已经解决了，为什么我们这里就不行？",
]

# An imbalanced, realistic class mix (shares of the whole).
SHARES = {
    "城乡建设": 0.23,
    "劳动和社会保障": 0.20,
    "教育文体": 0.17,
    "商贸旅游": 0.12,
    "环境保护": 0.10,
    "卫生计生": 0.10,
    "交通运输": 0.08,
}


def _phone(rng: random.Random) -> str:
    p = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    style = rng.random()
    if style < 0.2:
        return f"{p[:3]}-{p[3:7]}-{p[7:]}"
    if style < 0.3:
        return f"{p[:3]} {p[3:7]} {p[7:]}"
    return p


def _fill(s: str, rng: random.Random, place: dict[str, str]) -> str:
    return s.format(
        district=place["district"],
        street=place["street"],
        estate=place["estate"],
        town=place["town"],
        village=place["village"],
        county_n=place["county_n"],
        school=place["school"],
        hospital=place["hospital"],
        company=place["company"],
        year=rng.randint(2015, 2019),
        month=rng.randint(1, 12),
        day=rng.randint(1, 28),
        phone=_phone(rng),
    )


def _place(rng: random.Random) -> dict[str, str]:
    return {
        "district": rng.choice(DISTRICTS),
        "street": rng.choice(STREETS),
        "estate": rng.choice(ESTATES),
        "town": rng.choice(TOWNS),
        "village": rng.choice(VILLAGES),
        "county_n": str(rng.randint(1, 9)),
        "school": rng.choice(SCHOOLS),
        "hospital": rng.choice(HOSPITALS),
        "company": rng.choice(COMPANIES),
    }


def _noise(text: str, rng: random.Random) -> str:
    if rng.random() < 0.35:
        a, b = rng.choice(TYPOS)
        text = text.replace(a, b, 1)
    if rng.random() < 0.25:  # a run-on message without full stops
        text = text.replace("。", "，")
    if rng.random() < 0.15:
        text = text.replace("！", "！！！", 1)
    if rng.random() < 0.1:
        text = text.replace("，", " ", 2)
    return text


def _half(items: tuple[str, ...], split: int | None) -> tuple[str, ...]:
    """Every other fragment (``split`` 0 or 1), so that two halves share no sentence."""
    if split is None or len(items) < 2:
        return items
    return items[split::2]


def message(
    label: str, rng: random.Random, *, topic: Topic | None = None, split: int | None = None
) -> tuple[str, str]:
    """One (title, detail) message of ``label``.

    With ``split`` 0 or 1 only that half of each topic's titles, problems and demands is used:
    a model trained on half 0 and tested on half 1 meets phrasings it has never seen.
    """
    topic = topic or rng.choice(TOPICS[label])
    topic = Topic(
        _half(topic.titles, split), _half(topic.problems, split), _half(topic.demands, split)
    )
    place = _place(rng)
    title = _fill(rng.choice(topic.titles), rng, place)
    if rng.random() < 0.4:
        title = rng.choice(["A市", "A市" + place["district"], place["district"]]) + title
    if rng.random() < 0.3:
        title = rng.choice(["关于", "反映", "投诉", "咨询", "请求解决"]) + title
    if rng.random() < 0.2:
        title += rng.choice(["的问题", "！", "，望解决", "？"])
    parts = [
        _fill(rng.choice(GREETINGS), rng, place),
        _fill(rng.choice(WHO), rng, place),
        _fill(rng.choice(SINCE), rng, place),
    ]
    n_problems = rng.choice([1, 2, 2, 3, 3, 4, 5])
    problems = rng.sample(topic.problems, min(n_problems, len(topic.problems)))
    for p in problems:
        parts.append(_fill(p, rng, place) + rng.choice(["。", "，", "！", "。"]))
        if rng.random() < 0.3:
            parts.append(rng.choice(FEELINGS))
    if rng.random() < 0.3:
        parts.append(rng.choice(CROSS[label]))
    # Long messages repeat and elaborate, as real ones do.
    if rng.random() < 0.15:
        other = rng.choice(TOPICS[label])
        extra = rng.choice(_half(other.problems, split))
        parts.append("另外，" + _fill(extra, rng, place) + "。")
    if rng.random() < 0.1:
        parts.append(
            "我们曾于"
            + f"{rng.randint(2016, 2019)}年{rng.randint(1, 12)}月"
            + "多次向有关部门反映，"
            + rng.choice(["都说不归他们管", "答复说正在研究", "至今没有任何回音"])
            + "。"
        )
    n_more = rng.choice([0, 0, 0, 1, 2, 3, 5, 8])
    parts.extend(rng.sample(ELABORATIONS, n_more))
    if n_more > 3:  # long messages come back to their point
        parts.append("总之，" + _fill(rng.choice(topic.problems), rng, place) + "。")
    parts.append(_fill(rng.choice(topic.demands), rng, place) + "。")
    parts.append(rng.choice(ASKS))
    parts.append(_fill(rng.choice(CONTACT), rng, place))
    detail = _noise("".join(parts), rng)
    return title, detail


def messages(
    n: int, *, seed: int = SEED, split: int | None = None
) -> list[tuple[str, str, str, str]]:
    """``n`` messages as (id, title, detail, label), the classes in :data:`SHARES`."""
    rng = random.Random(seed if split is None else seed + 10 + split)
    labels = list(SHARES)
    weights = [SHARES[k] for k in labels]
    out = []
    for i in range(n):
        label = rng.choices(labels, weights)[0]
        title, detail = message(label, rng, split=split)
        out.append((f"M{i + 1:05d}", title, detail, label))
    return out


# ---------------------------------------------------------------------------------------------
# Duplicate pairs
# ---------------------------------------------------------------------------------------------

_M_PER_DEG_LAT = 111_320.0


def _offset(lon: float, lat: float, dx_m: float, dy_m: float) -> tuple[float, float]:
    import math

    return (
        lon + dx_m / (_M_PER_DEG_LAT * math.cos(math.radians(lat))),
        lat + dy_m / _M_PER_DEG_LAT,
    )


def duplicate_cases(n_groups: int, *, seed: int = SEED) -> list[dict[str, str]]:
    """Cases with locations and times, grouped so that duplicates share ``group``.

    Each group is one problem at one place reported by 2–3 residents in their own words within a
    few days and ~100 m. Distractors are the same place with a different problem of the same
    class (``kind=same_place``), the same problem ~1–3 km away (``kind=far``) and the same problem
    at the same place months earlier (``kind=old``).
    """
    rng = random.Random(seed + 1)
    base_lon, base_lat = 112.98, 28.20
    start = date(2026, 3, 1)
    rows: list[dict[str, str]] = []
    labels = list(TOPICS)
    for g in range(n_groups):
        label = rng.choice(labels)
        topic = rng.choice(TOPICS[label])
        lon, lat = _offset(base_lon, base_lat, rng.uniform(-8000, 8000), rng.uniform(-8000, 8000))
        day = start + timedelta(days=rng.randint(0, 200))
        for r in range(rng.choice([2, 2, 3])):
            title, detail = message(label, rng, topic=topic)
            plon, plat = _offset(lon, lat, rng.uniform(-60, 60), rng.uniform(-60, 60))
            rows.append(
                _case(f"G{g:03d}-{r}", f"G{g:03d}", "dup", title, detail, plon, plat, day, rng)
            )
        other = rng.choice([t for t in TOPICS[label] if t is not topic])
        title, detail = message(label, rng, topic=other)
        plon, plat = _offset(lon, lat, rng.uniform(-80, 80), rng.uniform(-80, 80))
        rows.append(_case(f"G{g:03d}-p", "", "same_place", title, detail, plon, plat, day, rng))
        title, detail = message(label, rng, topic=topic)
        dist = rng.uniform(1000, 3000)
        plon, plat = _offset(lon, lat, dist, rng.uniform(-300, 300))
        rows.append(_case(f"G{g:03d}-f", "", "far", title, detail, plon, plat, day, rng))
        if rng.random() < 0.5:
            title, detail = message(label, rng, topic=topic)
            old = day - timedelta(days=rng.randint(120, 300))
            rows.append(_case(f"G{g:03d}-o", "", "old", title, detail, lon, lat, old, rng))
    return rows


def _case(
    cid: str,
    group: str,
    kind: str,
    title: str,
    detail: str,
    lon: float,
    lat: float,
    day: date,
    rng: random.Random,
) -> dict[str, str]:
    when = day + timedelta(days=rng.randint(0, 4))
    return {
        "id": cid,
        "group": group,
        "kind": kind,
        "title": title,
        "detail": detail,
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "reported": when.isoformat(),
    }


def main() -> None:
    """Write tests/data/text/messages.csv and duplicates.csv."""
    OUT.mkdir(parents=True, exist_ok=True)
    header = ["留言编号", "留言主题", "留言详情", "一级标签"]
    for name, rows_ in [
        ("messages.csv", messages(1400)),
        ("heldout_train.csv", messages(1000, split=0)),
        ("heldout_test.csv", messages(600, split=1)),
    ]:
        with (OUT / name).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows_)
    rows = duplicate_cases(80)
    with (OUT / "duplicates.csv").open("w", encoding="utf-8", newline="") as f:
        w2 = csv.DictWriter(f, fieldnames=list(rows[0]))
        w2.writeheader()
        w2.writerows(rows)


if __name__ == "__main__":
    main()
