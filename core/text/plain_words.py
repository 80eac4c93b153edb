"""Everyday words for the terms party rules, laws and measures use.

Staff ask the way they talk: 「还没转正的同志考察期多长」, 「涉密文件封存多少年」,
「要找几位推荐人」. The texts write 预备党员, 预备期, 国家秘密, 保密期限, 介绍人. A query gets
the official term beside the everyday phrase (「考察期（预备期）」), as
`core.text.abbreviations` does for short names, so BM25, the vectors and the answer's
coverage all see the word the text uses. The phrase stays: a text may use it too.

Short names (全会, 人大) are `core.text.abbreviations`' job; this list holds the rest.
Only phrases with one reading in an organ's files are listed, each with the term(s) of
the rule that governs it; a generic word (公开, 处理, 钱) is never mapped on its own, nor
a word the texts themselves use for something else: 养老金 and 幼儿园 are the policies'
own words, 聊天群 is a work chat, 花钱大手大脚 is spending, not a fee.
"""

from __future__ import annotations

import re

from core.text.abbreviations import with_full_forms

# (everyday phrase as a pattern, the official term(s) to add). Grouped by field.
PLAIN_WORDS: tuple[tuple[str, str], ...] = (
    # Party membership and organisation (党章, 发展党员工作细则)
    (r"(?:还|尚)?(?:没|未)(?:有)?转正", "预备党员"),
    (r"考察期|考察阶段|考验期|观察期", "预备期"),
    (r"转正", "转为正式党员"),
    (r"推荐人|担保人|引荐人|推荐担保|担保推荐", "入党介绍人"),
    (r"加入(?:党)?组织|加入(?:中国)?共产党|成为党员", "入党"),
    (r"想入党的人|申请入党的人|要求入党的人|想加入(?:党)?组织的人", "入党申请人"),
    (r"(?:退出|离开|脱离|不想再?留在)(?:党)?组织|不想再?当党员|不当党员", "退党"),
    (r"入党(?:多少|几)年|入党(?:的)?年[数限头]|入党时间(?:长短|多长)", "党龄"),
    (r"最底层的?(?:党)?组织|最基层的?(?:党)?组织|底层(?:党)?组织", "基层组织"),
    (r"一届(?:干|做|当|任)?(?:几|多少)年|一届(?:多长|多久)|每届(?:几|多少)年", "每届任期"),
    (r"省里、?市里、?县里|省、市、县", "地方各级"),
    (r"(?:一年|每年)(?:最少|至少)(?:得|要)?开(?:几|多少)[回次]", "每年至少召开"),
    (r"换班子|改选班子|重新选班子", "换届"),
    (r"一把手", "书记"),
    (r"保留(?:党员)?身份[^，。？]{0,8}观察|留党观察", "留党察看"),
    (r"开除出党|清除出党|踢出党", "开除党籍"),
    (r"不(?:来)?参加组织生活|不过组织生活|不参加支部活动", "不参加党的组织生活"),
    (r"谈心(?:聊天)?|谈话谈心", "谈心谈话"),
    (r"钻研|研读|研习", "学习"),
    (r"宣誓仪式|入党宣誓", "入党誓词"),
    # Discipline and integrity (纪律处分条例, 政务处分法, 八项规定)
    (r"犯(?:了)?错误|违反纪律", "违纪"),
    (r"处分(?:多长时间|多久|几年|期限)", "处分期"),
    (r"大吃大喝|公款请客|公款吃饭", "公款吃喝"),
    (r"收红包|收礼(?:品|物)?", "礼金礼品"),
    (r"喝酒开车|酒后开车", "酒后驾驶"),
    (r"做生意|开公司|办企业", "经商办企业"),
    (r"在外(?:面)?兼职|干副业|搞副业", "兼职"),
    # Civil servants (公务员法)
    (r"(?:刚|新)(?:考进|考上|考入|招录|录取)(?:机关|单位)?", "新录用"),
    (r"考进(?:机关)?|考上公务员|考入(?:机关)?|招录", "录用"),
    (r"见习期|见习多久|见习多长|实习期", "试用期"),
    (r"定岗|正式上岗|正式任职", "任职"),
    (r"升职|升官", "晋升"),
    (r"换岗|调岗", "轮岗交流"),
    (r"年假|休年假", "年休假"),
    (r"不想(?:在[^，。？]{1,6})?(?:干|做)了|不干了|主动辞职|提出辞职", "辞去公职"),
    (r"打(?:个)?报告", "申请"),
    (r"批下来|批准下来", "审批"),
    (r"被(?:单位)?(?:开除|解聘|解雇)", "辞退"),
    (r"年终(?:考评|考核|打分)|年底考核", "年度考核"),
    (r"打分|评分|考评打分", "考评"),
    (r"不服(?:气)?(?:处理|决定)?", "申诉"),
    # Secrets (保守国家秘密法)
    (r"涉密(?:文件|事项|资料|材料|信息)|机密文件|秘密文件|保密文件", "国家秘密"),
    (r"最高(?:等级|级别|密级)的?(?=涉密|秘密|保密|文件|密件)", "绝密"),
    (r"封存(?:多少|几)年|保密(?:多少|几)年|保密多久|封存多久|多少年才能公开", "保密期限"),
    (r"解封|解禁", "解密"),
    (r"(?:跟|和|与)亲戚朋友|私下(?:里)?(?:聊天|说)", "私人交往和通信"),
    (r"泄密|说出去|透露出去", "泄露"),
    (r"涉密(?:的)?电脑|涉密的计算机", "涉密计算机"),
    (r"[U优]盘|移动硬盘", "移动存储介质"),
    (r"上网|联网|连网", "互联网"),
    # Personal information and public data (个人信息保护法, 网络数据安全管理条例)
    (r"小学生|儿童", "不满十四周岁未成年人"),
    (r"中学生|初中生|高中生", "未成年人"),
    (r"家长", "父母或者其他监护人"),
    (r"老婆|媳妇|老公|爱人", "配偶"),
    (r"孩子|儿女", "子女"),
    (r"点头|首肯|答应", "同意"),
    (r"(?:个人|私人)资料|隐私资料", "个人信息"),
    (r"政府(?:开放|公开|提供)?的?(?:那些)?(?:资料|数据)", "公共数据"),
    (r"掏钱|交钱|收钱|要钱", "收取费用、免费"),
    (r"慈善|做好事", "公益事业"),
    (r"管社会|社会管理", "公共治理"),
    (r"接连两[回次]|连着两[回次]|连续两回", "连续两次"),
    (r"垫底|倒数第一|不及格|考得差", "评估结果较差"),
    # Supervision and organs (监察法, 监督法, 地方组织法)
    (r"案子", "案件"),
    (r"扣下|扣住|扣了", "扣押"),
    (r"封(?:起来|了)", "查封"),
    (r"还给(?:人家|本人|他|她)?", "退还"),
    (r"(?:好几|几|多)[件项个](?:错事|错误|违法的事)", "两个以上违法行为"),
    (r"合起来|加起来|合在一起", "合并"),
    (r"关起来(?:调查|审查)?|扣(?:起来|留)(?:调查)?|关押审查", "留置"),
    (r"追问|问责质询", "询问和质询"),
    (r"撤掉(?:他的)?职务|拉下马|赶下台", "罢免"),
    # Reports and rural policy (政府工作报告, 乡村振兴)
    (r"(?:平均|人均)(?:能活|寿命)|能活到多大", "人均预期寿命"),
    (r"GDP|经济总量", "国内生产总值"),
    (r"CPI|物价涨幅", "居民消费价格"),
    (r"包地|承包地|种的地", "土地承包"),
    (r"数据(?:传|送|卖)到(?:国外|境外)|数据出国", "数据出境"),
    (r"卖数据|买卖数据", "数据交易"),
    (r"利润(?:比例|率)|赚多少|能赚", "收益率"),
    # Social insurance, housing, employment (广州 policies, 失业保险, 公租房)
    (r"失业金|失业补助", "失业保险金"),
    (r"退休金", "基本养老金"),
    (r"停交|断交|停缴|没交(?:社保)?", "中断缴费"),
    (r"补交", "补缴"),
    (r"户口", "户籍"),
    (r"房租", "租金"),
    (r"上班(?:时|途中)?受伤|工作(?:中|时)受伤", "工伤"),
    (r"生孩子|生小孩|怀孕", "生育"),
    (r"找工作", "就业"),
    (r"寝室", "宿舍"),
    (r"换(?:宿舍|寝室)|搬(?:宿舍|寝室)", "宿舍搬迁"),
    (r"贷(?:多少|几)[钱万]?|最多(?:能)?贷", "贷款额度"),
    (r"利息(?:谁出|补贴)|贴利息", "贴息"),
    (r"领(?:多久|多长时间|几个月)", "领取期限"),
    (r"收入线|收入(?:上限|门槛)", "收入限额"),
    (r"开店|自己干|当老板", "创业"),
    # Budgets (部门预算, 决算)
    (r"招待费|请客吃饭", "公务接待费"),
    (r"公车|单位的车", "公务用车"),
    (r"出国考察|出国(?:开会|访问)", "因公出国（境）"),
    (r"办公经费|日常开支|日常运转", "机关运行经费"),
    (r"差旅", "差旅费"),
    (r"三公(?:经费)?", "因公出国（境）费、公务用车购置及运行费和公务接待费"),
    (r"(?:发)?工资(?:花了|用了|开支)", "工资福利支出"),
)

_COMPILED = tuple((re.compile(p), term) for p, term in PLAIN_WORDS)


def with_official_words(text: str) -> str:
    """`text` with 「（术语）」 after each everyday phrase whose term it does not contain.

    The longest phrase wins where two overlap (生孩子 is 生育, not a 孩子), and each term
    is added once."""
    found = [(m.start(), m.end(), term) for pattern, term in _COMPILED if term not in text
             for m in pattern.finditer(text) if m.group() != term]
    spans: list[tuple[int, int, str]] = []
    for a, b, term in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if all(t != term and (b <= x or y <= a) for x, y, t in spans):
            spans.append((a, b, term))
    out, last = [], 0
    for _, b, term in sorted(spans, key=lambda s: s[1]):
        out.append(f"{text[last:b]}（{term}）")
        last = b
    return "".join(out) + text[last:]


def widened(text: str) -> str:
    """A query as the retrievers and the answer's coverage read it: short names with their
    full forms, everyday phrases with the documents' terms."""
    return with_official_words(with_full_forms(text))
