"""Issue 13, scans: OCR of images and of PDF pages without a usable text layer.

The scans are made here: Chinese text drawn with the CJK font by Pillow, saved as an
image-only PDF (no text layer at all), as a PNG, and as a PDF whose text layer is glyph
soup. Tests running the OCR engine are `slow` (about 1-3 s a page on 2 cores).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import LoadError
from ingest.loaders import load_file
from ingest.ocr import usable_text

ROOT = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# Two pages, each one section long enough (300+ characters) to be its own passage.
PAGE_1 = ("各党支部要按月召开支部委员会会议，研究部署党建工作任务。党员领导干部每年到基层联系点调研"
          "不少于四次，调研报告报机关党委备案。支部书记每年向党员大会报告工作，接受党员评议。"
          "党员发展工作坚持标准、严格程序，发展对象须经支部委员会集体研究并公示。"
          "支部每半年开展一次组织生活会，查找问题、明确整改措施并按期销号。"
          "党费收缴使用情况每年公布一次，接受党员监督。支部委员会换届选举按期进行，"
          "选举结果报上级党组织审批。新入职党员三个月内转接组织关系，不得无故拖延。"
          "流动党员由所在支部明确联系人，每月至少联系一次，掌握思想和工作情况。"
          "支部工作台账统一格式，会议记录由专人负责，年底归档备查。"
          "支部委员分工明确，组织委员负责党员教育管理，宣传委员负责理论学习安排。"
          "党员干部要带头遵守作风建设各项规定，带头参加志愿服务活动。"
          "支部每年评选一次优秀党员，评选结果在机关内部公示五个工作日。"
          "困难党员由支部建立帮扶台账，逢年过节开展走访慰问。")
PAGE_2 = ("机关青年理论学习小组每季度开展一次集中研讨，围绕一个专题交流学习体会。"
          "各单位于十二月底前报送年度工作总结和下一年度工作要点。机关党委每半年通报一次各支部"
          "工作情况，对落实不力的支部书记进行约谈。各支部要建立党员学习档案，如实记录学习情况。"
          "主题党日活动每月开展一次，内容应当结合业务工作实际。"
          "各支部每年至少开展两次谈心谈话，党员之间相互提醒、相互帮助。"
          "机关党委每年组织一次支部书记培训，培训时间不少于三天。"
          "对表现突出的党员和支部，年终给予通报表扬，并作为评先评优的重要依据。"
          "机关党委每季度检查一次支部工作台账，检查结果纳入年度考核。"
          "各支部要结合业务工作开展党员先锋岗创建，每年评定一次。"
          "支部书记抓党建工作述职评议考核每年进行一次，考核结果分为好、较好、一般、差四个等次。"
          "各单位要保障支部活动经费和场地，活动经费列入年度预算。"
          "本通知自印发之日起施行，由机关党委负责解释。")
PAGES = [
    ["关于加强机关党支部标准化建设的通知", "一、基本要求",
     *[PAGE_1[i:i + 30] for i in range(0, len(PAGE_1), 30)]],
    ["二、工作要求", *[PAGE_2[i:i + 30] for i in range(0, len(PAGE_2), 30)]],
]


def page_image(lines: list[str], width: int = 900, height: int = 1120, size: int = 26):
    """One scanned page: black text on white, as a 100 dpi scan of a small page."""
    from PIL import Image, ImageDraw, ImageFont

    if not FONT.is_file():
        pytest.skip(f"CJK font {FONT} is absent (apt-get install fonts-wqy-microhei)")
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), size)
    for i, line in enumerate(lines):
        draw.text((60, 50 + i * int(size * 1.9)), line, fill="black", font=font)
    return img


def image_pdf(pages: list[list[str]]) -> bytes:
    """An image-only PDF: each page one picture, no text layer."""
    images = [page_image(lines) for lines in pages]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=100, save_all=True, append_images=images[1:])
    return buf.getvalue()


def kb(*args: str, index: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash"}
    return subprocess.run([sys.executable, "-m", "cli", *args, "--index", str(index)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


def test_garbage_text_layers_are_not_usable() -> None:
    assert usable_text("第一条　为加强党务干部队伍建设，制定本办法。")
    assert usable_text("Annual report 2024: 12 items, 3.5% growth.")
    assert not usable_text("")
    assert not usable_text("  3 ")
    assert not usable_text("\ufffd\ufffd\ufffd\ufffd机关\ufffd\ufffd")  # replacement chars
    assert not usable_text("\ue000\ue001\ue002\ue003\ue004")  # private-use glyphs
    assert not usable_text("ÎÒÃÇÒª¼ÓÇ¿»ú¹Øµ³½¨")  # GBK bytes read as Latin-1: glyph soup


@pytest.mark.slow  # OCR of two pages, a whole ingest and three `kb` subprocesses
def test_image_only_pdf_is_found_by_page_and_marked_ocr(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "扫描件.pdf").write_bytes(image_pdf(PAGES))
    # A broken image and a truncated PDF are named with a reason; the job goes on.
    (folder / "坏图片.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(60))
    (folder / "截断.pdf").write_bytes(image_pdf(PAGES[:1])[:400])
    # A badly blurred photo of a page: read, but named for checking (confidence ~0.56).
    from PIL import ImageFilter

    blurred = page_image(PAGES[0][:6], height=400).filter(ImageFilter.GaussianBlur(4.5))
    blurred.save(folder / "模糊.png")
    index = tmp_path / "idx"
    p = kb("ingest", str(folder), "--no-progress", index=index)
    assert p.returncode == 0, p.stderr
    assert "新增 2" in p.stdout, p.stdout
    err = p.stderr
    low = [ln for ln in err.splitlines() if ln.startswith("识别置信度低")]
    assert len(low) == 1 and "模糊.png 第1页" in low[0] and "请核对原件" in low[0], err
    assert "坏图片.jpg" in err and "图片已损坏" in err, err
    assert "截断.pdf" in err and "文件已损坏或不完整" in err, err
    for page, phrase in ((1, "按月召开支部委员会会议"), (2, "每季度开展一次集中研讨")):
        p = kb("search", phrase, "--json", "--mode", "bm25", "-k", "1", index=index)
        assert p.returncode == 0, p.stderr
        hit = json.loads(p.stdout)[0]
        assert phrase in hit["text"] and hit["page"] == page and hit["ocr"] is True, hit
    for page, question in ((1, "党员领导干部每年到基层联系点调研不少于几次"),
                           (2, "机关青年理论学习小组多久开展一次集中研讨")):
        p = kb("ask", question, "--json", index=index)
        assert p.returncode == 0, p.stderr
        answer = json.loads(p.stdout)
        assert not answer["refused"], answer
        c = answer["citations"][0]
        assert c["ocr"] is True and c["page"] == page, c
        assert c["reference"].endswith(f"（扫描件第{page}页，文字经识别，请核对原件）"), c


@pytest.mark.slow  # OCR
def test_png_and_garbage_text_layer_pdf_are_recognised(tmp_path: Path) -> None:
    from fpdf import FPDF

    buf = io.BytesIO()
    page_image(PAGES[0]).save(buf, "PNG")
    png = tmp_path / "照片.png"
    png.write_bytes(buf.getvalue())
    raw = load_file(png)
    assert raw.fmt == "image" and "按月召开支部委员会会议" in raw.text.replace("\n", "")
    assert raw.overrides["ocr_pages"] == "1" and float(raw.overrides["ocr_confidence"]) > 0.85

    # Page 1: a real text layer (kept, not recognised); page 2: the picture of a page
    # under a text layer of glyph soup, which OCR replaces.
    pdf = FPDF(unit="pt", format=(900 * 0.72, 1120 * 0.72))
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("wqy", size=14)
    pdf.cell(text="第一页是真正的文字层：支部书记述职评议考核。")
    pdf.add_page()
    pic = io.BytesIO()
    page_image(PAGES[1]).save(pic, "PNG")
    pdf.image(pic, x=0, y=0, w=900 * 0.72, h=1120 * 0.72)
    pdf.set_font("helvetica", size=4)
    pdf.set_xy(10, 10)
    pdf.cell(text="ÎÒÃÇÒª¼ÓÇ¿»ú¹Øµ³½¨ÎÒÃÇÒª")
    # Page 3: a scan under a scanner app's few words of real text.
    pdf.add_page()
    pic = io.BytesIO()
    page_image(PAGES[0][:4], height=400).save(pic, "PNG")
    pdf.image(pic, x=0, y=0, w=900 * 0.72, h=400 * 0.72)
    pdf.set_font("wqy", size=6)
    pdf.set_xy(10, 700)
    pdf.cell(text="扫描全能王 创建")
    f = tmp_path / "混合.pdf"
    f.write_bytes(bytes(pdf.output()))
    raw = load_file(f)
    page1, page2, page3 = (raw.text[a:b] for a, b in zip(
        raw.page_starts, [*raw.page_starts[1:], len(raw.text)], strict=True))
    assert "支部书记述职评议考核" in page1
    assert "每季度开展一次集中研讨" in page2.replace("\n", "") and "ÎÒ" not in page2
    assert "按月召开支部委员会会议" in page3.replace("\n", "")
    assert raw.overrides["ocr_pages"] == "2 3"


def test_broken_images_are_named(tmp_path: Path) -> None:
    for name, data in (("扫描.jpg", b"\xff\xd8\xff\xe0" + bytes(100)),
                       ("扫描.png", b"\x89PNG\r\n\x1a\n" + bytes(100)),
                       ("扫描.tif", b"II*\x00" + bytes(100))):
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(LoadError, match="图片已损坏或不完整") as info:
            load_file(f)
        assert "\n" not in str(info.value)


@pytest.mark.slow  # OCR in the reading subprocess
def test_each_recognised_page_is_reported_from_the_reading_process(tmp_path: Path, config,
                                                                    embedder) -> None:
    from app.progress import progress_lines
    from core.config import IngestLimits
    from ingest.chunking import ChunkSettings
    from service.progress import Progress
    from service.worker import FileReader

    images = [page_image(lines[:3], height=260) for lines in PAGES]
    f = tmp_path / "两页扫描.tif"
    images[0].save(f, "TIFF", save_all=True, append_images=images[1:])
    seen: list[tuple[int, int]] = []
    with FileReader(IngestLimits(), on_page=lambda done, total: seen.append((done, total))) \
            as reader:
        doc, _chunks = reader.read(f, "h", ChunkSettings())
    assert seen == [(1, 2), (2, 2)]
    assert doc.meta.ocr_pages == (1, 2) and len(doc.page_starts) == 2
    assert doc.ocr_on(doc.page_at(doc.text.index("二、工作要求")))
    lines = progress_lines(Progress(files_total=3, files_read=1, ocr_file=str(f),
                                    ocr_done=1, ocr_total=2))
    assert "正在识别扫描件《两页扫描.tif》：第 1/2 页" in lines
    # The same reports reach an ingest's caller (the upload page's bar).
    from service.wiring import run_ingest

    pages: list[tuple[str, int, int]] = []
    report = run_ingest(config, [f], progress=False, embedder=embedder,
                        on_page=lambda path, done, total: pages.append((path, done, total)))
    assert report.added == [str(f)] and pages == [(str(f), 1, 2), (str(f), 2, 2)]
