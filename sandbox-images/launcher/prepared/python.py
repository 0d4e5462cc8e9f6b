# MUSCode prepared Python: the launcher starts `python3 -u /opt/muscode/prepared/python.py` ahead
# of a submission, in the submission's uid, jail, workspace and rlimits, so the interpreter is
# loaded before the code arrives. Once loaded it says "r" on descriptor 3 (a socket to the
# launcher); the go is the program's argv (main file first), NUL-terminated, read there to its
# end. Then the main file runs as `python3 -u <main> <args>` would run it: a fresh __main__
# module, sys.argv, sys.path[0] = the main file's folder, the traceback of an uncaught exception
# or a compile error without any frame of this file, exit status 1 (2 when the file cannot be
# opened).
import os
import sys
import types
from importlib.machinery import SourceFileLoader


def _go():
    os.write(3, b"r")  # loaded: the launcher may now tell the agent
    chunks = []
    while True:
        chunk = os.read(3, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(3)
    return [os.fsdecode(a) for a in b"".join(chunks).split(b"\0")[:-1]]


def _run(argv):
    path = os.path.abspath(argv[0])
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write(f"python3: can't open file {path!r}: [Errno {e.errno}] {e.strerror}\n")
        sys.exit(2)
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        # As python3 main.py reports it: the error alone, no frame (it is not the program's).
        del source
        _uncaught(e.with_traceback(None))
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__cached__ = None
    main.__loader__ = SourceFileLoader("__main__", path)
    sys.modules["__main__"] = main
    sys.argv = argv
    sys.path[0] = os.path.dirname(path)
    del source, f
    try:
        exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as e:
        _uncaught(e.with_traceback(_theirs(e.__traceback__)))


def _theirs(tb):
    """The traceback without this file's frames (the outermost ones)."""
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return tb


def _uncaught(e):
    sys.excepthook(type(e), e, e.__traceback__)
    sys.exit(1)


_run(_go())
