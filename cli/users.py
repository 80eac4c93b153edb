"""`kb users add|list|remove|passwd|set|migrate`: the knowledge base's accounts.

They are in the index folder's deploy.sqlite, or for a knowledge base shared on a Chroma
server on the server (service.deployment), the same from every machine; `migrate`
copies a machine's deploy.sqlite there once (from before accounts moved to the server).

Whoever runs `kb` on the server is its operator (core.models.LOCAL_USER): these commands
need no sign-in; each change is written to the audit log. Passwords are read from
standard input, never from the command line (which `ps` and the shell history show):
twice without echo on a terminal, one line from a pipe.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from core.errors import KBError
from core.models import LEVELS, LOCAL_USER, ROLE_LABELS, ROLES

_ROLES_HELP = ("角色：reader 读者（检索、提问、浏览、导出）、editor 编辑（另可上传、删除、"
               "编辑专刊）、admin 管理员（另可管理账号）")
_LEVEL_HELP = "可见级别：公开（只看公开文档）或 内部（公开和内部文档都能看）"


def add_users_commands(sub, index_help: str) -> None:
    p = sub.add_parser("users", help="账号管理：添加、列出、删除账号，修改密码",
                       description="账号管理。还没有账号时网页和接口以单用户模式运行，无需登录；"
                                   "添加第一个账号后，网页和 HTTP 接口都必须登录。")
    us = p.add_subparsers(dest="users_cmd", required=True, title="子命令",
                          metavar="{add,list,remove,passwd,set,migrate}")
    a = us.add_parser("add", help="添加账号（密码从标准输入读取）",
                      description="添加账号；密码从标准输入读取（终端中输入两次，不回显；"
                                  "管道中读取一行），至少 8 个字符")
    a.add_argument("name", metavar="用户名")
    a.add_argument("--role", choices=ROLES, required=True, help=_ROLES_HELP)
    a.add_argument("--level", choices=LEVELS, required=True, help=_LEVEL_HELP)
    a.add_argument("--index", help=index_help)
    p_list = us.add_parser("list", help="列出账号",
                           description="列出账号（用户名、角色、可见级别）")
    p_list.add_argument("--json", action="store_true", help="输出 JSON")
    p_list.add_argument("--index", help=index_help)
    r = us.add_parser("remove", help="删除账号", description="删除账号（唯一的管理员不能删除，"
                                                           "除非它是最后一个账号）")
    r.add_argument("name", metavar="用户名")
    r.add_argument("--index", help=index_help)
    w = us.add_parser("passwd", help="修改密码（从标准输入读取）",
                      description="修改密码；新密码从标准输入读取，同时解除登录失败造成的锁定")
    w.add_argument("name", metavar="用户名")
    w.add_argument("--index", help=index_help)
    s = us.add_parser("set", help="修改账号的角色或可见级别",
                      description="修改账号的角色或可见级别")
    s.add_argument("name", metavar="用户名")
    s.add_argument("--role", choices=ROLES, help=_ROLES_HELP)
    s.add_argument("--level", choices=LEVELS, help=_LEVEL_HELP)
    s.add_argument("--index", help=index_help)
    m = us.add_parser("migrate", help="把本机 deploy.sqlite 的账号和审计日志复制到 Chroma 服务",
                      description="Chroma 服务模式（KB_CHROMA_HOST）下，账号、登录失败计数、"
                                  "文件夹级别和审计日志保存在服务器上、各机器共用。本命令把本机"
                                  "索引目录中旧的 deploy.sqlite 里的账号（服务器上已有的同名账号"
                                  "不变）、文件夹级别和审计日志复制到服务器；重复运行不会重复复制")
    m.add_argument("--index", help=index_help)


def read_password(stdin=None) -> str:
    """The new password: twice without echo on a terminal, one line from a pipe."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != first:
            raise KBError("两次输入的密码不一致，账号未改动")
        return first
    line = stdin.readline()
    if not line:
        raise KBError("没有读到密码：请在标准输入中给出密码"
                      "（如 printf '%s\\n' 密码 | kb users add …）")
    return line.rstrip("\r\n")


def _label(role: str) -> str:
    return f"{role}（{ROLE_LABELS.get(role, role)}）"


def cmd_users(args: argparse.Namespace, config) -> int:
    from service import audit
    from service.accounts import Accounts

    accounts = Accounts(config)
    op = args.users_cmd
    if op == "migrate":
        return _migrate(config)
    _tell_local_only(config)
    if op == "list":
        users = accounts.users()
        if args.json:
            print(json.dumps([{"name": u.name, "role": u.role, "level": u.level}
                              for u in users], ensure_ascii=False, indent=2))
        elif not users:
            print("还没有账号：网页和接口以单用户模式运行，无需登录。"
                  "添加账号：kb users add 用户名 --role admin --level 内部")
        else:
            for u in users:
                print(f"{u.name}\t{_label(u.role)}\t{u.level}")
        return 0
    if op == "add":
        first = not accounts.any()
        user = accounts.add(args.name, read_password(), args.role, args.level)
        audit.record(config, LOCAL_USER, "users", op="add", name=user.name, role=user.role,
                     level=user.level, via="cli")
        print(f"已添加账号 {user.name}：{_label(user.role)}，可见级别 {user.level}")
        if first:
            print("这是第一个账号：从现在起网页和 HTTP 接口都需要登录。")
        if not any(u.role == "admin" for u in accounts.users()):
            print("提示：还没有管理员账号（--role admin），网页上无人能管理账号。",
                  file=sys.stderr)
        return 0
    if op == "remove":
        accounts.remove(args.name)
        audit.record(config, LOCAL_USER, "users", op="remove", name=args.name.strip(),
                     via="cli")
        print(f"已删除账号 {args.name.strip()}")
        if not accounts.any():
            print("已没有任何账号：网页和接口恢复为单用户模式，无需登录。")
        return 0
    if op == "passwd":
        if accounts.get(args.name) is None:
            raise KBError(f"账号 {args.name.strip()} 不存在（查看账号：kb users list）")
        accounts.passwd(args.name, read_password())
        audit.record(config, LOCAL_USER, "users", op="passwd", name=args.name.strip(),
                     via="cli")
        print(f"已修改账号 {args.name.strip()} 的密码")
        return 0
    if op == "set":
        if not (args.role or args.level):
            raise KBError("请用 --role 或 --level 给出要修改的内容")
        user = accounts.update(args.name, role=args.role, level=args.level)
        audit.record(config, LOCAL_USER, "users", op="set", name=user.name, role=user.role,
                     level=user.level, via="cli")
        print(f"账号 {user.name}：{_label(user.role)}，可见级别 {user.level}")
        return 0
    raise KBError(f"未知的子命令 {op}")


def _tell_local_only(config) -> None:
    """Server mode: name the accounts of this machine's old deploy.sqlite not on the server."""
    from service.deployment import local_only_accounts

    names = local_only_accounts(config)
    if names:
        shown = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
        print(f"提示：本机 {config.deploy} 中的 {len(names)} 个账号（{shown}）不在 Chroma 服务上，"
              f"服务器模式只认服务器上的账号；运行 kb users migrate 复制一次", file=sys.stderr)


def _migrate(config) -> int:
    from service import audit
    from service.deployment import migrate_local

    done = migrate_local(config)
    audit.record(config, LOCAL_USER, "users", op="migrate", copied=list(done.copied),
                 skipped=list(done.skipped), via="cli")
    print(f"已复制到 Chroma 服务：{len(done.copied)} 个账号"
          f"{'（' + '、'.join(done.copied) + '）' if done.copied else ''}、"
          f"{done.folders} 条文件夹级别、{done.audit} 条审计日志（已复制过的不会重复）")
    if done.skipped:
        print(f"服务器上已有同名账号，保持服务器上的不变：{'、'.join(done.skipped)}")
    return 0


USERS_COMMANDS = {"users": cmd_users}
