"""What the ctypes tests share, as a Python binding would have it: the
library loaded with its status and options calls declared, the exception a
failed call becomes, and helpers to check a status, expect an error and make
options.  Standard library only."""
import ctypes
import os

c_size = ctypes.c_size_t
status_p = ctypes.c_void_p  # opaque invf_status*
handle = ctypes.c_void_p  # opaque handles

# invf_code values (include/invforecast.h).
(OK, INVALID_ARGUMENT, NULL_POINTER, IO, PARSE, DATA, BUFFER_TOO_SMALL, SERIES_TOO_SHORT,
 OUT_OF_MEMORY, CANCELLED, UNSUPPORTED, CORRUPT_MODEL, INTERNAL, DIVERGED) = range(14)

BASE_SIGNATURES = {
    "invf_status_code": (ctypes.c_int, [status_p]),
    "invf_status_message": (ctypes.c_char_p, [status_p]),
    "invf_status_release": (None, [status_p]),
    "invf_options_create": (status_p, [ctypes.POINTER(handle)]),
    "invf_options_set": (status_p, [handle, ctypes.c_char_p, ctypes.c_char_p]),
    "invf_options_release": (None, [handle]),
}


class InvfError(Exception):
    def __init__(self, code, message):
        super().__init__(f"[{code}] {message}")
        self.code, self.message = code, message


class Library:
    """libinvforecast.so of `build_dir` with BASE_SIGNATURES and `signatures`
    ({name: (restype, argtypes)}) declared."""

    def __init__(self, build_dir, signatures):
        self.lib = ctypes.CDLL(os.path.join(build_dir, "libinvforecast.so"))
        for name, (restype, argtypes) in {**BASE_SIGNATURES, **signatures}.items():
            function = getattr(self.lib, name)
            function.restype, function.argtypes = restype, argtypes

    def check(self, status):
        """Raises InvfError for a non-NULL status, after releasing it."""
        if status:
            code = self.lib.invf_status_code(status)
            message = self.lib.invf_status_message(status).decode()
            self.lib.invf_status_release(status)
            raise InvfError(code, message)

    def expect_error(self, code, fragment, function, *args):
        """Calls function(*args), which must fail with `code` and a message
        containing `fragment`; returns the error."""
        try:
            self.check(function(*args))
        except InvfError as error:
            assert error.code == code, (function.__name__, error)
            assert fragment in error.message, (function.__name__, fragment, error)
            return error
        raise AssertionError(f"{function.__name__} succeeded, expected error {code} '{fragment}'")

    def options(self, **settings):
        """A new invf_options with key=value settings (the caller releases it)."""
        opts = handle()
        self.check(self.lib.invf_options_create(ctypes.byref(opts)))
        for key, value in settings.items():
            self.check(self.lib.invf_options_set(opts, key.encode(), str(value).encode()))
        return opts
