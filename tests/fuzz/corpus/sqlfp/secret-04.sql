SELECT a # xyzzyHash comment
FROM t /*! xyzzyBang */ /*+ xyzzyHint */ WHERE b = 31415926535 -- xyzzyDash