// corral completion bash|zsh: a completion script generated from the command tree, so a
// new command or flag completes without anyone editing a script.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';

export function registerCompletion(program: Command, ctx: Context): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script (bash or zsh): source <(corral completion bash)')
    .action(async (shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new CliError(`corral completion takes bash or zsh, got "${shell}"`);
      const { buildProgram } = await import('../main.ts');
      const table = completionTable(await buildProgram());
      ctx.print.out(shell === 'bash' ? bashScript(table) : zshScript(table));
    });
}

/** "site set" → the words that may follow it: subcommands, then options. "" is the top level. */
export function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (cmd: Command, path: string) => {
    const subs = cmd.commands.filter((c) => c.name() !== 'help');
    const options = cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => x !== undefined));
    table.set(path, [...subs.map((c) => c.name()), ...options, '--help']);
    for (const sub of subs) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, '');
  return table;
}

/** One shell `case` arm per command path. */
function cases(table: Map<string, string[]>): string {
  return [...table].map(([path, words]) => `    '${path}') _w='${words.join(' ')}' ;;`).join('\n');
}

/** The command path of the words typed so far (options and their values skipped). */
const PATH_WALK = `  local _cp='' w i
  for ((i = 1; i < cword; i++)); do
    w=\${words_typed[i]}
    [[ $w == -* ]] && continue
    _corral_words "\${_cp:+$_cp }$w" >/dev/null && [[ -n $_corral_known ]] && _cp="\${_cp:+$_cp }$w"
  done`;

/** The shell function both scripts share: the words that may follow a command path. */
function wordsFunction(table: Map<string, string[]>): string {
  return `_corral_words() {
  local _w=''
  _corral_known=1
  case "$1" in
${cases(table)}
    *) _corral_known='' ;;
  esac
  echo "$_w"
}`;
}

function bashScript(table: Map<string, string[]>): string {
  return `# corral completion for bash: source <(corral completion bash)
${wordsFunction(table)}

_corral() {
  local cword=$COMP_CWORD cur=\${COMP_WORDS[COMP_CWORD]}
  local -a words_typed=("\${COMP_WORDS[@]}")
${PATH_WALK}
  _corral_words "$_cp" >/dev/null
  COMPREPLY=($(compgen -W "$(_corral_words "$_cp")" -- "$cur"))
}
complete -o default -F _corral corral
`;
}

function zshScript(table: Map<string, string[]>): string {
  return `#compdef corral
# corral completion for zsh: source <(corral completion zsh)
${wordsFunction(table)}

_corral() {
  local cword=$((CURRENT - 1))
  local -a words_typed=("\${words[@]}")
${PATH_WALK.replace('${words_typed[i]}', '${words_typed[i+1]}')}
  compadd -- \${=$(_corral_words "$_cp")}
}
compdef _corral corral
`;
}
