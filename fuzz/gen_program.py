import random, sys
seed = int(sys.argv[1]); random.seed(seed)
lets = {'A': random.choice([1,2,3,5,7,13,33]), 'B': random.choice([1,2,4,6,9,17,40]), 'C': random.choice([1,3,8,11,70])}
names = list(lets)
out = ["let " + ", ".join(f"{k} = {v}" for k, v in lets.items())]
tensors = {}
for t in ['x', 'w', 'u']:
    r = random.choice([1, 2, 2, 3])
    dims = [random.choice(names) for _ in range(r)]
    tensors[t] = dims
    out.append(f"input {t}[{', '.join(dims)}]")
def idx(var, others):
    c = random.random()
    if c < 0.6 or not others: return var
    if c < 0.7: return f"{var} - {random.randint(1,3)}"
    if c < 0.78: return f"{var} + {random.choice(others)}"
    if c < 0.85: return f"{var} / 2"
    if c < 0.9: return f"{random.choice(names)} - 1 - {var}"
    return f"2 * {var}"
def read(varsof, bound):
    # pick a tensor, index each dim with a var of matching extent when possible
    t = random.choice(list(tensors))
    ix = []
    for d in tensors[t]:
        cands = [v for v, ext in bound if ext == d]
        if cands:
            v = random.choice(cands)
            ix.append(idx(v, [w for w, _ in bound if w != v]))
        else:
            return None
    return f"{t}[{', '.join(ix)}]"
cnt = [0]
def expr(bound, depth):
    r = random.random()
    if depth <= 0 or r < 0.25:
        e = read(None, bound)
        if e and random.random() < 0.85: return e
        k = random.random()
        if k < 0.5 or not bound: return random.choice(["2", "0.5", "-1", "3"])
        return random.choice(bound)[0]
    if r < 0.45:
        op = random.choice(["+", "-", "*", "+", "*"])
        return f"({expr(bound, depth-1)} {op} {expr(bound, depth-1)})"
    if r < 0.55:
        f = random.choice(["tanh", "sigmoid", "abs", "relu", "sin", "silu"])
        return f"{f}({expr(bound, depth-1)})"
    if r < 0.62:
        return f"max({expr(bound, depth-1)}, {expr(bound, depth-1)})"
    if r < 0.72:
        a = expr(bound, depth-1); b = random.choice(bound)[0] if bound else "1"
        c = random.choice(bound)[0] if bound else "2"
        return f"select({b} <= {c} && {a} > 0, {expr(bound, depth-1)}, {expr(bound, depth-1)})"
    # reduction
    cnt[0] += 1
    nv = random.choice([1, 1, 1, 2])
    vs = []
    forced = []
    for i in range(nv):
        t = random.choice(list(tensors)); dims = tensors[t]
        pos = random.randrange(len(dims)); v = f"r{cnt[0]}_{i}"
        vs.append((v, dims[pos]))
        ix = []
        for j, d in enumerate(dims):
            if j == pos: ix.append(v); continue
            c = [w for w, ext in bound + vs if ext == d]
            ix.append(random.choice(c) if c else "0")
        forced.append(f"{t}[{', '.join(ix)}]")
    red = random.choice(["sum", "sum", "max", "min", "prod"])
    body = expr(bound + vs, depth-1)
    for fr in forced:
        body = f"({fr} {random.choice(['*', '+', '-'])} {body})"
    if red == "prod": body = f"(0.5 + 0.5 * tanh({body}))"
    return f"{red}({', '.join(v for v, _ in vs)}: {body})"
ne = random.randint(1, 3)
prev = []
for n in range(ne):
    r = random.choice([0, 1, 2, 2, 3])
    dims = [random.choice(names) for _ in range(r)]
    vs = [(f"i{k}", d) for k, d in enumerate(dims)]
    nm = f"y{n}"
    role = "output"
    out.append(f"output {nm}[{', '.join(dims)}]" if dims else f"output {nm}")
    e = expr(vs, random.randint(1, 4))
    # use a previous output sometimes
    if prev and random.random() < 0.5:
        p, pd = random.choice(prev)
        cands = []
        ok = True
        for d in pd:
            c = [v for v, ext in vs if ext == d]
            if not c: ok = False; break
            cands.append(random.choice(c))
        if ok:
            e = f"({e} + {p}[{', '.join(cands)}])" if pd else f"({e} + {p})"
    if dims and random.random() < 0.25:
        # recurrence along a random rank
        k = random.randrange(len(dims))
        self_ix = [v for v, _ in vs]; self_ix[k] = f"{vs[k][0]} - {random.choice([1,1,2])}"
        a = read(None, vs) or "0.5"
        e = f"{random.choice(['tanh(' + a + ')', '0.9', a])} * {nm}[{', '.join(self_ix)}] + {e}"
        if random.random() < 0.5:
            others = [v for j, (v, _) in enumerate(vs) if j != k]
            e += " init " + (others[0] if others else "1.5")
    lhs = f"{nm}[{', '.join(v for v, _ in vs)}]" if dims else nm
    out.append(f"{lhs} = {e}")
    prev.append((nm, dims))
print("\n".join(out))
