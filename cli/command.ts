// defineCommand plus examples: every command's --help ends with runnable examples.
import { type ArgsDef, type CommandDef, defineCommand, renderUsage } from "citty";

const examples = new WeakMap<object, string[]>();

export function command<const T extends ArgsDef = ArgsDef>(
  def: CommandDef<T> & { examples?: string[] },
): CommandDef<T> {
  const { examples: ex, ...rest } = def;
  const cmd = defineCommand(rest as CommandDef<T>);
  if (ex?.length) examples.set(cmd, ex);
  return cmd;
}

// biome-ignore lint/suspicious/noExplicitAny: citty's CommandDef is invariant in its args; any command must fit
export async function usageText(cmd: CommandDef<any>, parent?: CommandDef<any>): Promise<string> {
  let text = await renderUsage(cmd, parent);
  const ex = examples.get(cmd);
  if (ex) text += `\n\nEXAMPLES\n\n${ex.map((e) => `  ${e}`).join("\n")}`;
  return text;
}
