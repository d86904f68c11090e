SELECT $$xyzzyAnyDollar$$, E'x\'xyzzyAnyE', x # xyzzyAnyHash
 FROM t