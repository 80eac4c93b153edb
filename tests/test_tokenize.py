import logging

import jieba

from index.tokenize import BUNDLED_USER_DICT, STOPWORDS, make_tokenizer

TEXTS = ["党员连续六个月不参加党的组织生活，就被认为是自行脱党。",
         "示机工发〔2023〕12号要求推进模范机关建设，开展述职评议考核。",
         "机关党委每季度召开一次党建工作例会"]


def test_cached_dictionary_segments_like_jieba():
    jieba.setLogLevel(logging.WARNING)
    plain = jieba.Tokenizer()
    plain.load_userdict(str(BUNDLED_USER_DICT))
    tok = make_tokenizer()
    tok_again = make_tokenizer()  # second build reads the pickle cache
    for t in TEXTS:
        want = [w.lower() for w in plain.cut_for_search(t)
                if w.strip() and w.strip() not in STOPWORDS and any(c.isalnum() for c in w)]
        assert tok(t) == want == tok_again(t)


def test_domain_words_and_stopwords():
    toks = make_tokenizer()("推进模范机关建设的述职评议")
    assert "模范机关建设" in toks and "述职评议" in toks and "的" not in toks


def test_user_dictionary_extends(tmp_path):
    d = tmp_path / "words.txt"
    d.write_text("红管家上门办 20 n\n", encoding="utf-8")
    assert "红管家上门办" in make_tokenizer([d])("开通红管家上门办预约服务")
